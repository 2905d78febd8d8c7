import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { UsageError } from './args.js';
import { VERSION } from '../version.js';

// The packages a project needs, in dependency order; `weft` re-exports the public API of all of them.
const WEFT_PACKAGES = [
  'proto',
  'docarray',
  'core',
  'executor-runtime',
  'gateway',
  'client',
  'orchestrator',
  'weft',
];
const TOOLS = { vitest: '4.1.12', vite: '7.3.8', typescript: '6.0.3', tsx: '4.23.15', node: '20.19.43' };

/** The `packages/` folder of the Weft monorepo this CLI runs from, when it does. */
function workspacePackages(): string | undefined {
  const dir = fileURLToPath(new URL('../../../', import.meta.url));
  return WEFT_PACKAGES.every(
    (p) => existsSync(join(dir, p, 'package.json')) && existsSync(join(dir, p, 'dist')),
  )
    ? dir
    : undefined;
}

/** Packs every Weft package into `vendor/` and returns name → `file:` spec. */
async function packWorkspace(packagesDir: string, projectDir: string): Promise<Record<string, string>> {
  const vendor = join(projectDir, 'vendor');
  await mkdir(vendor, { recursive: true });
  const dirs = WEFT_PACKAGES.map((p) => join(packagesDir, p));
  await promisify(execFile)('npm', ['pack', ...dirs, '--pack-destination', vendor, '--silent'], {
    timeout: 120_000,
    shell: process.platform === 'win32',
  });
  const files = await readdir(vendor);
  const specs: Record<string, string> = {};
  for (const dir of dirs) {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    const tgz = `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
    if (!files.includes(tgz)) throw new Error(`npm pack did not write ${tgz} into ${vendor}`);
    specs[pkg.name] = `file:vendor/${tgz}`;
  }
  return specs;
}

const EXECUTORS = `import { type DocumentArray, Executor, type RequestContext, requests } from 'weft';

/** Upper-cases every document's text; a 'suffix' parameter is appended. */
export class Shouter extends Executor {
  @requests({ on: '/shout' })
  shout(docs: DocumentArray, { parameters }: RequestContext) {
    const suffix = typeof parameters.suffix === 'string' ? parameters.suffix : '!';
    for (const d of docs) d.text = d.text.toUpperCase() + suffix;
  }
}

/** Counts the words of every document into tags.words, for any endpoint. */
export class WordCounter extends Executor {
  @requests()
  count(docs: DocumentArray) {
    for (const d of docs) d.tags = { ...d.tags, words: d.text.split(/\\s+/).filter(Boolean).length };
  }
}
`;

const FLOW = `# yaml-language-server: $schema=./weft.schema.json
jtype: Flow
with:
  port: 12345
executors:
  - name: shouter
    uses: ./executors.ts#Shouter
    replicas: 2
  - name: counter
    uses: ./executors.ts#WordCounter
`;

const CLIENT = `// Run the Flow first (npm start), then: npm run client
import { Client, DocumentArray } from 'weft';

const client = new Client({ port: 12345 });
const result = await client.post('/shout', new DocumentArray([{ text: 'hello weft' }, { text: 'one two three' }]));
for (const d of result) console.log(d.text, d.tags);
client.close();
`;

const TEST = `import { fileURLToPath } from 'node:url';
import { Client, DocumentArray, type Flow, loadFlowYaml } from 'weft';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('flow.yml', () => {
  let flow: Flow;
  let client: Client;
  beforeAll(async () => {
    // Free ports instead of the YAML's 12345, so that tests never collide with a running Flow.
    flow = await loadFlowYaml(fileURLToPath(new URL('../flow.yml', import.meta.url)), { override: { port: undefined } });
    await flow.start();
    client = new Client({ port: flow.port! });
  });
  afterAll(async () => {
    client?.close();
    await flow?.close();
  });

  it('shouts and counts words', async () => {
    const r = await client.post('/shout', new DocumentArray([{ text: 'hello weft' }]));
    expect(r.texts).toEqual(['HELLO WEFT!']);
    expect(r.at(0)!.tags.words).toBe(2);
  });

  it('passes parameters to the executors', async () => {
    const r = await client.post('/shout', new DocumentArray([{ text: 'a' }]), { parameters: { suffix: '?' } });
    expect(r.texts).toEqual(['A?']);
  });
});
`;

const VITEST = `import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
`;

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "skipLibCheck": true,
    "noEmit": true,
    "types": ["node"]
  },
  "include": ["*.ts", "test/**/*.ts"]
}
`;

function readme(name: string): string {
  return `# ${name}

A Weft project: two Executors (\`executors.ts\`) in a Flow (\`flow.yml\`).

\`\`\`sh
npm install
npm test          # starts the Flow on free ports and checks its results
npm start         # serves flow.yml on port 12345 until Ctrl-C
npm run client    # in another terminal: sends two documents
\`\`\`

Export it: \`npx weft export docker-compose flow.yml docker-compose.yml\` or
\`npx weft export kubernetes flow.yml k8s\`.
`;
}

/** Writes a new project into `dir`; returns the files written. */
export async function scaffold(dir: string, options: { packed?: boolean } = {}): Promise<string[]> {
  const name = basename(resolve(dir));
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    throw new UsageError(
      `'${name}' is not a valid npm package name: use lowercase letters, digits, '.', '_', '-'`,
    );
  }
  if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new UsageError(`${dir} exists and is not empty; choose a new name`);
  }
  await mkdir(join(dir, 'test'), { recursive: true });
  const packages = options.packed === false ? undefined : workspacePackages();
  const weftDeps = packages
    ? await packWorkspace(packages, dir)
    : Object.fromEntries(WEFT_PACKAGES.map((p) => [p === 'weft' ? 'weft' : `@weft/${p}`, VERSION]));
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20.19' },
    scripts: {
      start: 'weft flow --uses flow.yml',
      client: 'tsx client.ts',
      test: 'vitest run',
      typecheck: 'tsc',
    },
    dependencies: { weft: weftDeps.weft },
    devDependencies: {
      '@types/node': TOOLS.node,
      tsx: TOOLS.tsx,
      typescript: TOOLS.typescript,
      vite: TOOLS.vite,
      vitest: TOOLS.vitest,
    },
    // Every @weft package from the same place as weft itself.
    overrides: Object.fromEntries(Object.entries(weftDeps).filter(([n]) => n !== 'weft')),
  };
  const files: Record<string, string> = {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'executors.ts': EXECUTORS,
    'flow.yml': FLOW,
    'client.ts': CLIENT,
    'test/flow.test.ts': TEST,
    'vitest.config.ts': VITEST,
    'tsconfig.json': TSCONFIG,
    'README.md': readme(name),
    '.gitignore': 'node_modules\n',
  };
  const { yamlJsonSchema } = await import('@weft/orchestrator');
  files['weft.schema.json'] = `${JSON.stringify(yamlJsonSchema(), null, 2)}\n`;
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return Object.keys(files);
}

/** Registers `weft new`. */
export function registerNew(program: Command): void {
  program
    .command('new')
    .description(
      'scaffold a project: executors, flow.yml, a client script and tests that pass with `npm test`',
    )
    .argument('<name>', 'folder (and package name) of the new project')
    .addHelpText('after', '\nExample:\n  $ weft new demo && cd demo && npm install && npm test')
    .action(async (name: string) => {
      const files = await scaffold(name);
      console.log(
        `created ${relative(process.cwd(), resolve(name)) || '.'}/ with ${files.join(', ')}\nnext: cd ${name} && npm install && npm test`,
      );
    });
}
