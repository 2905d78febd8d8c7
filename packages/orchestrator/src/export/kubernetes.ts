import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { Deployment } from '../deployment.js';
import type { Flow } from '../flow.js';
import { ConfigError } from '@weft/core';
import type { NormalizedDeployment } from '../options.js';
import {
  checkExportable,
  containerUses,
  deploymentAddress,
  dnsName,
  type ExportOptions,
  type ExportSpec,
  executorArgs,
  exportSpec,
  externalOf,
  gatewayArgs,
  gatewayPorts,
  headArgs,
  pingCommand,
  runtimeEnv,
  type SecretPaths,
  type SecretSources,
  secretSources,
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
  /**
   * Write the Secrets that carry the Flow's certificates, keys and tokens (`internalTls`, `tls`,
   * `auth`) to `secrets/secrets.yml`, with the files' contents. With false, the manifests only
   * refer to them (`weft-internal-tls`, `weft-gateway-tls`, `weft-gateway-auth`) and you create
   * them yourself, e.g. with `kubectl create secret`. @default true
   */
  includeSecrets?: boolean;
}

/** Names of the Secrets the export mounts, and where (docs/kubernetes.md). */
const KUBERNETES_SECRETS = {
  internalTls: { name: 'weft-internal-tls', mountPath: '/etc/weft/internal-tls' },
  gatewayTls: { name: 'weft-gateway-tls', mountPath: '/etc/weft/gateway-tls' },
  auth: { name: 'weft-gateway-auth', mountPath: '/etc/weft/auth' },
} as const;

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
  /** The `weft ping` command of the probes, or an HTTP path when the gateway has no gRPC door. */
  probe: { command: string[] } | { httpPath: string; port: number; https: boolean };
  headless: boolean;
  labels: Record<string, string>;
  /** Secrets mounted as files. */
  volumes: { name: string; secretName: string; mountPath: string }[];
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
    'command' in rt.probe
      ? { exec: { command: rt.probe.command } }
      : {
          httpGet: {
            path: rt.probe.httpPath,
            port: rt.probe.port,
            ...(rt.probe.https ? { scheme: 'HTTPS' } : {}),
          },
        };
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
          ...(rt.volumes.length
            ? { volumes: rt.volumes.map((v) => ({ name: v.name, secret: { secretName: v.secretName } })) }
            : {}),
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
              ...(rt.volumes.length
                ? {
                    volumeMounts: rt.volumes.map((v) => ({
                      name: v.name,
                      mountPath: v.mountPath,
                      readOnly: true,
                    })),
                  }
                : {}),
            },
          ],
        },
      },
    },
  };
  return [configMap, service, deployment] as KubernetesObject[];
}

/** Where the Secrets are mounted: the paths the runtimes' arguments name. */
function secretPaths(sources: SecretSources): SecretPaths {
  const at = (s: { mountPath: string }, file: string) => `${s.mountPath}/${file}`;
  const tls = (s: { mountPath: string }, src: { ca?: string }) => ({
    cert: at(s, 'tls.crt'),
    key: at(s, 'tls.key'),
    ...(src.ca ? { ca: at(s, 'ca.crt') } : {}),
  });
  return {
    ...(sources.internalTls ? { internalTls: tls(KUBERNETES_SECRETS.internalTls, sources.internalTls) } : {}),
    ...(sources.gatewayTls ? { gatewayTls: tls(KUBERNETES_SECRETS.gatewayTls, sources.gatewayTls) } : {}),
    ...(sources.tokensFile || sources.tokens ? { tokens: at(KUBERNETES_SECRETS.auth, 'tokens') } : {}),
  };
}

const volume = (key: keyof typeof KUBERNETES_SECRETS) => ({
  name: KUBERNETES_SECRETS[key].name.replace(/^weft-/, ''),
  secretName: KUBERNETES_SECRETS[key].name,
  mountPath: KUBERNETES_SECRETS[key].mountPath,
});

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `Kubernetes export: cannot read ${what} '${path}' for its Secret: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; fix the path, or pass includeSecrets: false and create the Secret yourself`,
    );
  }
}

/** The Secrets with the files' contents (base64). */
function secretObjects(sources: SecretSources, namespace: string): KubernetesObject[] {
  const metadata = (name: string) => ({
    name,
    namespace,
    labels: { app: 'weft', 'weft.dev/secret': 'true' },
  });
  const tls = (name: string, src: { cert: string; key: string; ca?: string }, what: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(name),
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': read(src.cert, `the ${what} certFile`).toString('base64'),
      'tls.key': read(src.key, `the ${what} keyFile`).toString('base64'),
      ...(src.ca ? { 'ca.crt': read(src.ca, `the ${what} caFile`).toString('base64') } : {}),
    },
  });
  const out: KubernetesObject[] = [];
  if (sources.internalTls)
    out.push(tls(KUBERNETES_SECRETS.internalTls.name, sources.internalTls, 'internalTls'));
  if (sources.gatewayTls) out.push(tls(KUBERNETES_SECRETS.gatewayTls.name, sources.gatewayTls, 'tls'));
  if (sources.tokensFile || sources.tokens) {
    const tokens = [
      ...(sources.tokens ?? []),
      ...(sources.tokensFile
        ? [read(sources.tokensFile, 'the auth tokensFile').toString('utf8').trim()]
        : []),
    ].join('\n');
    out.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: metadata(KUBERNETES_SECRETS.auth.name),
      type: 'Opaque',
      data: { tokens: Buffer.from(`${tokens}\n`).toString('base64') },
    });
  }
  return out;
}

function deploymentRuntimes(
  d: NormalizedDeployment,
  spec: ExportSpec,
  o: KubernetesExportOptions & { namespace: string },
  paths: SecretPaths,
): { files: Record<string, Runtime>; address: string } {
  const base = dnsName(d.name);
  const svc = (n: string) => `${n}.${o.namespace}.svc:${PORT}`;
  const uses = containerUses(d.uses!, spec, o, `deployment '${d.name}'`);
  const labels = (podType: string, shard?: number) => ({
    'weft.dev/deployment': base,
    'weft.dev/pod-type': podType,
    ...(shard !== undefined ? { 'weft.dev/shard-id': String(shard) } : {}),
  });
  const volumes = paths.internalTls ? [volume('internalTls')] : [];
  const probe = { command: pingCommand('executor', PORT, spec, paths) };
  const worker = (k8sName: string, args: string[], shard?: number): Runtime => ({
    k8sName,
    kind: 'executor',
    replicas: d.replicas,
    args,
    env: runtimeEnv(spec, d, o),
    ports: [{ name: 'grpc', port: PORT }],
    probe,
    headless: true,
    labels: labels('WORKER', shard),
    volumes,
  });
  if (!d.head) {
    return {
      files: { [`${base}/${base}.yml`]: worker(base, executorArgs(d, uses, PORT, 0, { paths })) },
      address: deploymentAddress(spec, svc(base)),
    };
  }
  const files: Record<string, Runtime> = {};
  const shards: string[][] = [];
  for (let s = 0; s < d.shards; s++) {
    const name = d.shards > 1 ? `${base}-${s}` : `${base}-0`;
    files[`${base}/${name}.yml`] = worker(name, executorArgs(d, uses, PORT, s, { paths }), s);
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
        paths,
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
    args: headArgs(d, PORT, shards, before, after, paths),
    env: runtimeEnv(spec, d, o),
    ports: [{ name: 'grpc', port: PORT }],
    probe,
    headless: true,
    labels: labels('HEAD'),
    volumes,
  };
  return { files, address: deploymentAddress(spec, svc(head)) };
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
  checkExportable(spec);
  const o = {
    ...options,
    namespace: options.namespace ?? 'default',
    image: options.image ?? 'weft:latest',
    preStopSeconds: options.preStopSeconds ?? 5,
  };
  const sources = secretSources(spec);
  const paths = secretPaths(sources);
  const out: KubernetesManifests = {};
  const addresses: Record<string, string[]> = {};
  for (const d of spec.deployments) {
    if (d.external) {
      addresses[d.name] = externalOf(d);
      continue;
    }
    const { files, address } = deploymentRuntimes(d, spec, o, paths);
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
      args: gatewayArgs(spec, addresses, paths),
      env: runtimeEnv(spec, undefined, o),
      ports: doors.map((d) => ({ name: d.protocol === 'websocket' ? 'ws' : d.protocol, port: d.port })),
      probe: grpcDoor
        ? { command: pingCommand('gateway', grpcDoor.port, spec, paths) }
        : { httpPath: '/', port: doors[0]!.port, https: !!paths.gatewayTls },
      headless: false,
      labels: { 'weft.dev/pod-type': 'GATEWAY' },
      volumes: [
        // Without a CA, the gateway verifies the deployments against the system CAs: it needs no file.
        ...(paths.internalTls?.ca ? [volume('internalTls')] : []),
        ...(paths.gatewayTls ? [volume('gatewayTls')] : []),
        ...(paths.tokens ? [volume('auth')] : []),
      ],
    },
    o,
  );
  if (options.includeSecrets !== false) {
    const secrets = secretObjects(sources, o.namespace);
    if (secrets.length) out['secrets/secrets.yml'] = secrets;
  }
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
