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
});
