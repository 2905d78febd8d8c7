import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { Deployment } from '../deployment.js';
import type { Flow } from '../flow.js';
import type { NormalizedDeployment } from '../options.js';
import {
  containerUses,
  dnsName,
  type ExportOptions,
  type ExportSpec,
  executorArgs,
  exportSpec,
  externalOf,
  gatewayArgs,
  gatewayPorts,
  headArgs,
  runtimeEnv,
} from './common.js';

/** Options of {@link toKubernetes}. */
export interface KubernetesExportOptions extends ExportOptions {
  /** Namespace of every object; addresses use `<name>.<namespace>.svc`. @default 'default' */
  namespace?: string;
  /** Names of image pull secrets for private registries. @default [] */
  imagePullSecrets?: readonly string[];
  /** Environment variables read from Kubernetes Secrets: env name → `{ name, key }` of the Secret. @default {} */
  secrets?: Readonly<Record<string, { name: string; key: string }>>;
  /** Seconds the preStop hook sleeps so that endpoints drop the pod before SIGTERM. @default 5 */
  preStopSeconds?: number;
}

/** A Kubernetes object as plain JSON. */
export type KubernetesObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
};

/** Exported manifests: relative file path → the objects in it. */
export type KubernetesManifests = Record<string, KubernetesObject[]>;

const PORT = 8080;

interface Runtime {
  /** Kubernetes name (Deployment, Service and ConfigMap prefix). */
  k8sName: string;
  kind: 'executor' | 'head' | 'gateway';
  replicas: number;
  args: string[];
  env: Record<string, string>;
  ports: { name: string; port: number }[];
  /** Ping target kind for probes, or an HTTP path when the gateway has no gRPC door. */
  probe: { ping: 'executor' | 'gateway'; port: number } | { httpPath: string; port: number };
  headless: boolean;
  labels: Record<string, string>;
}

function objects(
  rt: Runtime,
  o: Required<Pick<KubernetesExportOptions, 'namespace' | 'image' | 'preStopSeconds'>> &
    KubernetesExportOptions,
): KubernetesObject[] {
  const metadata = (name: string) => ({
    name,
    namespace: o.namespace,
    labels: { app: rt.k8sName, ...rt.labels },
  });
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(`${rt.k8sName}-configmap`),
    data: rt.env,
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(rt.k8sName),
    spec: {
      type: 'ClusterIP',
      // Headless: DNS returns every pod, and the gateway balances over them (no service mesh needed).
      ...(rt.headless ? { clusterIP: 'None' } : {}),
      selector: { app: rt.k8sName },
      ports: rt.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: 'TCP' })),
    },
  };
  const probe =
    'ping' in rt.probe
      ? {
          exec: {
            command: ['weft', 'ping', rt.probe.ping, `127.0.0.1:${rt.probe.port}`, '--timeout', '2000'],
          },
        }
      : { httpGet: { path: rt.probe.httpPath, port: rt.probe.port } };
  const env = Object.entries(o.secrets ?? {}).map(([name, ref]) => ({
    name,
    valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
  }));
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(rt.k8sName),
    spec: {
      replicas: rt.replicas,
      selector: { matchLabels: { app: rt.k8sName } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: rt.k8sName, ...rt.labels } },
        spec: {
          ...(o.imagePullSecrets?.length
            ? { imagePullSecrets: o.imagePullSecrets.map((name) => ({ name })) }
            : {}),
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: rt.kind,
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['weft'],
              args: rt.args,
              workingDir: o.workdir ?? '/app',
              ports: rt.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
              envFrom: [{ configMapRef: { name: `${rt.k8sName}-configmap` } }],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                ...env,
              ],
              startupProbe: { ...probe, periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 60 },
              readinessProbe: { ...probe, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
              livenessProbe: { ...probe, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
              lifecycle: { preStop: { exec: { command: ['sh', '-c', `sleep ${o.preStopSeconds}`] } } },
            },
          ],
        },
      },
    },
  };
  return [configMap, service, deployment] as KubernetesObject[];
}

function deploymentRuntimes(
  d: NormalizedDeployment,
  spec: ExportSpec,
  o: KubernetesExportOptions & { namespace: string },
): { files: Record<string, Runtime>; address: string } {
  const base = dnsName(d.name);
  const svc = (n: string) => `${n}.${o.namespace}.svc:${PORT}`;
  const uses = containerUses(d.uses!, spec, o, `deployment '${d.name}'`);
  const labels = (podType: string, shard?: number) => ({
    'weft.dev/deployment': base,
    'weft.dev/pod-type': podType,
    ...(shard !== undefined ? { 'weft.dev/shard-id': String(shard) } : {}),
  });
  const worker = (k8sName: string, args: string[], shard?: number): Runtime => ({
    k8sName,
    kind: 'executor',
    replicas: d.replicas,
    args,
    env: runtimeEnv(spec, d, o),
    ports: [{ name: 'grpc', port: PORT }],
    probe: { ping: 'executor', port: PORT },
    headless: true,
    labels: labels('WORKER', shard),
  });
  if (!d.head) {
    return {
      files: { [`${base}/${base}.yml`]: worker(base, executorArgs(d, uses, PORT, 0)) },
      address: `grpc://${svc(base)}`,
    };
  }
  const files: Record<string, Runtime> = {};
  const shards: string[][] = [];
  for (let s = 0; s < d.shards; s++) {
    const name = d.shards > 1 ? `${base}-${s}` : `${base}-0`;
    files[`${base}/${name}.yml`] = worker(name, executorArgs(d, uses, PORT, s), s);
    shards.push([svc(name)]);
  }
  const side = (which: 'before' | 'after', u: NormalizedDeployment['usesBefore']): string | undefined => {
    if (u === undefined) return undefined;
    const name = `${base}-uses-${which}`;
    const args = executorArgs(
      { ...d, replicas: 1, shards: 1, usesWith: undefined, usesMetas: undefined },
      containerUses(u, spec, o, `deployment '${d.name}' uses_${which}`),
      PORT,
      0,
      {
        runtimeName: `${d.name}/uses-${which}`,
      },
    );
    files[`${base}/${name}.yml`] = {
      ...worker(name, args),
      replicas: 1,
      labels: labels(`USES_${which.toUpperCase()}`),
    };
    return svc(name);
  };
  const before = side('before', d.usesBefore);
  const after = side('after', d.usesAfter);
  const head = `${base}-head`;
  files[`${base}/${head}.yml`] = {
    k8sName: head,
    kind: 'head',
    replicas: 1,
    args: headArgs(d, PORT, shards, before, after),
    env: runtimeEnv(spec, d, o),
    ports: [{ name: 'grpc', port: PORT }],
    probe: { ping: 'executor', port: PORT },
    headless: true,
    labels: labels('HEAD'),
  };
  return { files, address: `grpc://${svc(head)}` };
}

/**
 * Kubernetes manifests of a Flow (semantics.md "Export"): per deployment a folder with one file per
 * Kubernetes Deployment, each holding a ConfigMap, a Service on 8080 and a Deployment with probes
 * (`weft ping`), a preStop sleep and a RollingUpdate (maxSurge 1, maxUnavailable 0). Executors and
 * heads get headless Services so that the gateway resolves and balances over every pod.
 */
export function toKubernetes(
  x: Flow | Deployment,
  options: KubernetesExportOptions = {},
): KubernetesManifests {
  const spec = exportSpec(x);
  const o = {
    ...options,
    namespace: options.namespace ?? 'default',
    image: options.image ?? 'weft:latest',
    preStopSeconds: options.preStopSeconds ?? 5,
  };
  const out: KubernetesManifests = {};
  const addresses: Record<string, string[]> = {};
  for (const d of spec.deployments) {
    if (d.external) {
      addresses[d.name] = externalOf(d);
      continue;
    }
    const { files, address } = deploymentRuntimes(d, spec, o);
    addresses[d.name] = [address];
    for (const [file, rt] of Object.entries(files)) out[file] = objects(rt, o);
  }
  const doors = gatewayPorts(spec.options);
  const grpcDoor = doors.find((d) => d.protocol === 'grpc');
  out['gateway/gateway.yml'] = objects(
    {
      k8sName: 'gateway',
      kind: 'gateway',
      replicas: 1,
      args: gatewayArgs(spec, addresses),
      env: runtimeEnv(spec, undefined, o),
      ports: doors.map((d) => ({ name: d.protocol === 'websocket' ? 'ws' : d.protocol, port: d.port })),
      probe: grpcDoor ? { ping: 'gateway', port: grpcDoor.port } : { httpPath: '/', port: doors[0]!.port },
      headless: false,
      labels: { 'weft.dev/pod-type': 'GATEWAY' },
    },
    o,
  );
  return out;
}

/** Writes {@link toKubernetes}'s manifests under `outDir` (multi-document YAML files); returns the files written. */
export async function exportKubernetes(
  x: Flow | Deployment,
  outDir: string,
  options: KubernetesExportOptions = {},
): Promise<string[]> {
  const manifests = toKubernetes(x, options);
  const written: string[] = [];
  for (const [file, objs] of Object.entries(manifests)) {
    const path = join(outDir, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, objs.map((obj) => stringify(obj, { aliasDuplicateObjects: false })).join('---\n'));
    written.push(path);
  }
  return written;
}
