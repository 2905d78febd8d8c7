// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Weft YAML expressions look like template placeholders
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Deployment,
  Flow,
  loadFlowYaml,
  loadYaml,
  saveYaml,
  substituteVariables,
  toYaml,
  yamlJsonSchema,
} from './index.js';
import { Greeter, WhoAmI } from './test-fixtures/executors.js';

const fixture = (name: string) => fileURLToPath(new URL(`./test-fixtures/${name}`, import.meta.url));
const fixtureUrl = (name: string) => new URL(`./test-fixtures/${name}`, import.meta.url).href;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-yaml-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('Flow YAML', () => {
  it("loads Jina's keys, substitutes ENV and CONTEXT, and resolves uses next to the YAML", async () => {
    const f = (await loadFlowYaml(fixture('full.yml'), {
      env: { WEFT_TEST_PORT: '23456' },
      context: { greeting: 'hola' },
    })) as Flow;
    const { options, deployments } = f.spec;
    expect(options.protocol).toEqual(['grpc', 'http']);
    expect(options.port).toEqual([23456, 23457]);
    expect(options.cors).toBe(true);
    expect(options.timeoutReady).toBe(20000);
    const by = Object.fromEntries(deployments.map((d) => [d.name, d]));
    expect(by.enc!.uses).toBe(`${fixtureUrl('executors.ts')}#Greeter`);
    expect(by.enc!.usesWith).toEqual({ greeting: 'hola' });
    expect(by.enc!.env).toEqual({ MODEL: 'small' });
    expect(by.idx!.shards).toBe(2);
    expect(by.idx!.head).toBe(true);
    expect(by.idx!.polling).toEqual({ '/search': 'ALL', '*': 'ANY' });
    expect(by.idx!.usesAfter).toBe(`${fixtureUrl('executors.ts')}#WhoAmI`);
    expect(by.audit!.floating).toBe(true);
    expect(by.kinds!.when).toEqual({ tags__kind: { $eq: 'a' } });
    expect(by.join!.noReduce).toBe(true);
    expect(by.remote!.external).toBe(true);
    expect(f.graphDescription()).toEqual({
      'start-gateway': ['enc', 'kinds'],
      enc: ['idx', 'audit'],
      idx: ['join'],
      audit: [],
      kinds: ['join'],
      join: ['remote'],
      remote: ['end-gateway'],
    });
  });

  it('reports every problem with its path, and unset variables by name', async () => {
    const bad = await write(
      'bad.yml',
      'jtype: Flow\nwith:\n  prot: grpc\nexecutors:\n  - uses: 3\n    replicas: -1\n    polling: SOME\n',
    );
    const err = (await loadFlowYaml(bad).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/bad\.yml: with: Unrecognized key.*\(prot\)/);
    expect(err.message).toMatch(/executors\.0\.uses: Invalid input: expected string/);
    expect(err.message).toMatch(/executors\.0\.replicas: Too small/);
    expect(err.message).toMatch(/executors\.0\.polling/);
    const unset = await write('unset.yml', 'jtype: Flow\nwith:\n  port: ${{ ENV.WEFT_SURELY_UNSET }}\n');
    await expect(loadFlowYaml(unset, { env: {} })).rejects.toThrow(
      /with\.port: \$\{\{ ENV\.WEFT_SURELY_UNSET \}\} is not set; set the environment variable WEFT_SURELY_UNSET/,
    );
    const cyclic = await write(
      'cyclic.yml',
      'jtype: Flow\nexecutors:\n  - {name: a, uses: x.ts#A, needs: [gateway, b]}\n  - {name: b, uses: x.ts#A, needs: a}\n',
    );
    await expect(loadFlowYaml(cyclic)).rejects.toThrow(/cycle: a → b → a/);
    const nojtype = await write('nojtype.yml', 'executors: []\n');
    await expect(loadFlowYaml(nojtype)).rejects.toThrow(/jtype is missing/);
    const dep = await write('dep.yml', 'jtype: Deployment\nwith:\n  uses: ./x.ts#X\n');
    await expect(loadFlowYaml(dep)).rejects.toThrow(/is a Deployment, not a Flow/);
  });

  it('substitutes inside strings and keeps the YAML type of whole expressions', () => {
    expect(
      substituteVariables(
        { a: '${{ ENV.N }}', b: 'x-${{ CONTEXT.c }}-y', c: ['${{ ENV.B }}'] },
        { env: { N: '42', B: 'true' }, context: { c: 'mid' } },
      ),
    ).toEqual({ a: 42, b: 'x-mid-y', c: [true] });
  });

  it('saves a Flow built in TypeScript and loads it back to the same topology', async () => {
    const f = new Flow({ port: 23999, timeoutSend: 5000 })
      .add({ uses: Greeter, name: 'greet', usesWith: { greeting: 'yo' }, replicas: 2 })
      .add({ uses: WhoAmI, name: 'side', needs: 'gateway', when: { text: { $regex: '^a' } } })
      .needsAll({ name: 'join' });
    const file = join(dir, 'saved.yml');
    await saveYaml(f, file);
    const text = await readFile(file, 'utf8');
    const doc = parse(text) as { executors: Record<string, unknown>[] };
    expect(doc.executors[0]).toMatchObject({ name: 'greet', replicas: 2, uses_with: { greeting: 'yo' } });
    expect(String(doc.executors[0]!.uses)).toMatch(/test-fixtures\/executors\.ts#Greeter$/);
    expect(doc.executors[1]).toMatchObject({ needs: 'gateway', when: { text: { $regex: '^a' } } });
    expect(doc.executors[2]).toMatchObject({
      needs: ['greet', 'side'],
      uses: '@weft/executor-runtime#Executor',
    });
    const back = (await loadYaml(file)) as Flow;
    expect(back.graphDescription()).toEqual(f.graphDescription());
    expect(toYaml(back, file)).toBe(text);
  });

  it('round-trips auth, limits, door TLS and internal TLS, with file paths relative to the YAML file', async () => {
    const sub = join(dir, 'certs');
    const f = new Flow({
      protocol: ['grpc', 'http'],
      tls: {
        certFile: join(sub, 'door.crt'),
        keyFile: join(sub, 'door.key'),
        caFile: join(sub, 'clients-ca.crt'),
      },
      internalTls: {
        certFile: join(sub, 'tls.crt'),
        keyFile: join(sub, 'tls.key'),
        caFile: join(sub, 'ca.crt'),
      },
      auth: { tokensFile: join(sub, 'tokens'), publicHealth: false },
      limits: { headersTimeoutMs: 2000, maxInFlight: 64, bodyLimit: 1 << 20 },
    }).add({ uses: Greeter, name: 'greet' });
    const file = join(dir, 'access.yml');
    await saveYaml(f, file);
    const text = await readFile(file, 'utf8');
    expect(parse(text).with).toEqual({
      protocol: ['grpc', 'http'],
      ssl_certfile: './certs/door.crt',
      ssl_keyfile: './certs/door.key',
      ssl_cafile: './certs/clients-ca.crt',
      auth: { tokens_file: './certs/tokens', public_health: false },
      limits: { headers_timeout_ms: 2000, max_in_flight: 64, body_limit: 1048576 },
      internal_tls: { cert_file: './certs/tls.crt', key_file: './certs/tls.key', ca_file: './certs/ca.crt' },
    });
    const back = (await loadYaml(file)) as Flow;
    expect(back.spec.options).toMatchObject({
      tls: f.spec.options.tls,
      internalTls: f.spec.options.internalTls,
      auth: f.spec.options.auth,
      limits: f.spec.options.limits,
    });
    expect(toYaml(back, file)).toBe(text);
  });

  it('reads inline tokens and checks auth, limits and internal_tls keys', async () => {
    const ok = await write(
      'tokens.yml',
      'jtype: Flow\nwith:\n  auth:\n    tokens:\n      - ${{ ENV.WEFT_T }}\n  limits: {max_connections: 5}\nexecutors: []\n',
    );
    const f = await loadFlowYaml(ok, { env: { WEFT_T: 'abc' } });
    expect(f.spec.options.auth).toEqual({ tokens: ['abc'] });
    expect(f.spec.options.limits).toEqual({ maxConnections: 5 });
    const bad = await write(
      'bad-access.yml',
      'jtype: Flow\nwith:\n  auth: {public_health: false}\n  limits: {max_in_flight: 0, max_flights: 3}\n  internal_tls: {cert_file: a.crt}\nexecutors: []\n',
    );
    const err = (await loadFlowYaml(bad).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/with\.auth: give tokens or tokens_file/);
    expect(err.message).toMatch(/with\.limits\.max_in_flight: Too small/);
    expect(err.message).toMatch(/with\.limits: Unrecognized key.*\(max_flights\)/);
    expect(err.message).toMatch(/with\.internal_tls\.key_file: Invalid input/);
  });

  it('refuses access options that cannot work, naming them', () => {
    expect(() => new Flow({ auth: { tokens: ['a'], verify: () => true } as never })).toThrow(
      /auth\.verify cannot reach the gateway process/,
    );
    expect(() => new Flow({ auth: {} })).toThrow(/auth needs tokens or tokensFile/);
    expect(() => new Flow({ auth: { tokens: ['has space'] } })).toThrow(/without spaces/);
    expect(() => new Flow({ limits: { maxInFlight: 0 } })).toThrow(
      /limits\.maxInFlight must be a positive whole number/,
    );
    expect(() => new Flow({ limits: { maxFlights: 3 } as never })).toThrow(
      /limits\.maxFlights is not a limit/,
    );
    expect(() => new Flow({ internalTls: { certFile: 'a.crt' } as never })).toThrow(
      /internalTls: give \{ certFile, keyFile \}/,
    );
    const tlsFlow = new Flow({ internalTls: { certFile: 'a', keyFile: 'b' } }).add({
      name: 'remote',
      external: true,
      host: '10.0.0.1',
      port: 80,
    });
    expect(() => tlsFlow.validate()).toThrow(/deployment 'remote': the Flow has internalTls.*set tls: true/);
    const plain = new Flow().add({ name: 'remote', external: true, host: '10.0.0.1', port: 80, tls: true });
    expect(() => plain.validate()).toThrow(/tls: true on an external deployment needs internalTls/);
  });

  it('exports a JSON schema that accepts valid files and rejects invalid ones', async () => {
    const schema = yamlJsonSchema();
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const good = parse(
      await readFile(fixture('full.yml'), 'utf8').then((t) => t.replace(/\$\{\{[^}]+\}\}/g, '1')),
    );
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    expect(
      validate({ jtype: 'Deployment', with: { uses: './a.ts#A', replicas: 2, include_gateway: false } }),
    ).toBe(true);
    expect(
      validate({
        jtype: 'Flow',
        with: {
          ssl_certfile: 'a',
          ssl_keyfile: 'b',
          ssl_cafile: 'c',
          auth: { tokens_file: 't', public_health: false },
          limits: { max_in_flight: 8, body_limit: 1024 },
          internal_tls: { cert_file: 'a', key_file: 'b', ca_file: 'c' },
        },
        executors: [],
      }),
      JSON.stringify(validate.errors),
    ).toBe(true);
    expect(validate({ jtype: 'Flow', with: { limits: { max_flights: 1 } } })).toBe(false);
    expect(validate({ jtype: 'Flow', executors: [{ uses: 'a', replicas: 0 }] })).toBe(false);
    expect(validate({ jtype: 'Flow', executors: [{ uses: 'a', typo: 1 }] })).toBe(false);
    expect(validate({ jtype: 'Pipeline' })).toBe(false);
  });
});

describe('Deployment YAML', () => {
  it('loads jtype: Deployment into a Deployment', async () => {
    const file = await write(
      'deployment.yml',
      `jtype: Deployment\nwith:\n  name: greeter\n  uses: ${fixture('executors.ts')}#Greeter\n  replicas: 2\n  include_gateway: false\n  port: 24001\n`,
    );
    const d = (await loadYaml(file)) as Deployment;
    expect(d).toBeInstanceOf(Deployment);
    expect(d.name).toBe('greeter');
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.head).toBe(true);
    expect(d.port).toBe(24001);
  });

  it('carries auth, limits and internal_tls of a Deployment through save and load', async () => {
    const file = await write(
      'deployment-access.yml',
      `jtype: Deployment\nwith:\n  name: greeter\n  uses: ${fixture('executors.ts')}#Greeter\n  auth:\n    tokens_file: ./tokens\n  limits:\n    body_limit: 2048\n  internal_tls:\n    cert_file: ./tls.crt\n    key_file: ./tls.key\n`,
    );
    const d = (await loadYaml(file)) as Deployment;
    expect(d.runOptions.auth).toEqual({ tokensFile: join(dir, 'tokens') });
    expect(d.runOptions.limits).toEqual({ bodyLimit: 2048 });
    expect(d.runOptions.internalTls).toEqual({
      certFile: join(dir, 'tls.crt'),
      keyFile: join(dir, 'tls.key'),
    });
    const saved = parse(toYaml(d, file)).with;
    expect(saved).toMatchObject({
      auth: { tokens_file: './tokens' },
      limits: { body_limit: 2048 },
      internal_tls: { cert_file: './tls.crt', key_file: './tls.key' },
    });
    expect(() => new Deployment({ uses: Greeter, includeGateway: false, auth: { tokens: ['x'] } })).toThrow(
      /auth configures the gateway; set includeGateway: true/,
    );
  });
});
