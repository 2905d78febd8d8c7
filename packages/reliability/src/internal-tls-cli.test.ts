// Internal mutual TLS as the Kubernetes and Compose exports run it: `weft executor`, `weft head`
// and `weft gateway` processes with the exported `--ssl-*` / `--deployments-ssl-*` /
// `--auth-tokens-file` flags, and `weft ping` probes with a client certificate.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Code, TransportError } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type TestPki } from './test-fixtures/certs.js';
import {
  CLI,
  type CliProcess,
  EXECUTORS,
  killAll,
  startCli,
  startExecutor,
  startGatewayProcess,
} from './test-fixtures/processes.js';

const TOKEN = 'cli-token-5d1e';
let pki: TestPki;
let gateway: CliProcess;
const executors: Record<string, CliProcess> = {};
let head: CliProcess;
let tlsFlags: string[];

function weft(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

beforeAll(async () => {
  pki = makePki();
  tlsFlags = [
    '--ssl-certfile',
    pki.server.certFile,
    '--ssl-keyfile',
    pki.server.keyFile,
    '--ssl-cafile',
    pki.caFile,
  ];
  const tokens = join(pki.dir, 'tokens');
  writeFileSync(tokens, `${TOKEN}\n`);
  for (const name of ['first', 'shard0', 'shard1'])
    executors[name] = await startExecutor('Tagger', { name, extra: tlsFlags });
  const shards = [
    [`127.0.0.1:${executors.shard0!.ports.grpc}`],
    [`127.0.0.1:${executors.shard1!.ports.grpc}`],
  ];
  head = await startCli(
    [
      'head',
      '--name',
      'sharded',
      '--host',
      '127.0.0.1',
      '--shards',
      JSON.stringify(shards),
      '--polling',
      'ALL',
      ...tlsFlags,
    ],
    (l) => {
      const m = /serving .* at grpcs:\/\/127\.0\.0\.1:(\d+)/.exec(l);
      return m ? { grpc: Number(m[1]) } : undefined;
    },
    30_000,
  );
  gateway = await startGatewayProcess({
    graph: { 'start-gateway': ['first'], first: ['sharded'], sharded: ['end-gateway'] },
    addresses: {
      first: [`127.0.0.1:${executors.first!.ports.grpc}`],
      sharded: [`127.0.0.1:${head.ports.grpc}`],
    },
    tls: true,
    protocols: ['grpc', 'http'],
    extra: [
      '--deployments-ssl-cafile',
      pki.caFile,
      '--deployments-ssl-certfile',
      pki.server.certFile,
      '--deployments-ssl-keyfile',
      pki.server.keyFile,
      '--auth-tokens-file',
      tokens,
    ],
  });
}, 90_000);
afterAll(async () => {
  await killAll();
  pki?.cleanup();
});

describe('weft executor, head and gateway with internal mutual TLS and a tokens file', () => {
  it('serves a token holder end to end (gateway → executor, head → shards over mutual TLS) and refuses a call without a token', async () => {
    const c = new Client({ port: gateway.ports.grpc!, headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await c.post('/', DocumentArray.empty(2))).texts).toEqual([';;', ';;']);
    c.close();
    const anonymous = new Client({ port: gateway.ports.http!, protocol: 'http' });
    const err = await anonymous.post('/', DocumentArray.empty(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(Code.Unauthenticated);
    anonymous.close();
    expect(gateway.lines.join('\n')).not.toContain(TOKEN);
  });

  it('weft ping checks a mutual-TLS runtime with the client certificate, and fails without one', async () => {
    const cert = ['--ssl-certfile', pki.client.certFile, '--ssl-keyfile', pki.client.keyFile];
    for (const port of [executors.first!.ports.grpc, head.ports.grpc]) {
      const ok = await weft(['ping', 'executor', `grpcs://127.0.0.1:${port}`, '--timeout', '3000', ...cert]);
      expect(ok, ok.out).toMatchObject({ code: 0 });
      expect(ok.out).toMatch(/SERVING/);
      const bare = await weft(['ping', 'executor', `grpcs://127.0.0.1:${port}`, '--timeout', '3000']);
      expect(bare.code, bare.out).toBe(1);
      expect(bare.out).toMatch(/unreachable/);
      const plain = await weft(['ping', 'executor', `127.0.0.1:${port}`, '--timeout', '2000', ...cert]);
      expect(plain.code, plain.out).toBe(1);
    }
    const gw = await weft(['ping', 'gateway', `127.0.0.1:${gateway.ports.grpc}`]);
    expect(gw, gw.out).toMatchObject({ code: 0 });
  }, 60_000);
});

describe('weft flow with auth, limits and internal TLS from its YAML', () => {
  it('serves only token holders and applies the body limit, with internal mutual TLS from the same YAML', async () => {
    const yml = join(pki.dir, 'flow.yml');
    writeFileSync(
      yml,
      [
        'jtype: Flow',
        'with:',
        '  protocol: [grpc, http]',
        '  auth:',
        '    tokens_file: ./tokens',
        '  limits:',
        '    body_limit: 4096',
        '  internal_tls:',
        `    cert_file: ${pki.server.certFile}`,
        `    key_file: ${pki.server.keyFile}`,
        `    ca_file: ${pki.caFile}`,
        'executors:',
        `  - {name: tagger, uses: '${EXECUTORS}#Tagger', shards: 2, polling: ALL}`,
        '',
      ].join('\n'),
    );
    const flow = await startCli(
      ['flow', '--uses', yml],
      (l) => {
        const m = /^Flow ready: grpc:\/\/127\.0\.0\.1:(\d+) http:\/\/127\.0\.0\.1:(\d+)/.exec(l);
        return m ? { grpc: Number(m[1]), http: Number(m[2]) } : undefined;
      },
      60_000,
    );
    const ok = new Client({
      port: flow.ports.http!,
      protocol: 'http',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect((await ok.post('/', DocumentArray.empty(2))).texts).toEqual([';', ';']);
    const big = await ok.post('/', new DocumentArray([{ text: 'x'.repeat(8192) }])).catch((e: unknown) => e);
    expect((big as TransportError).code).toBe(Code.ResourceExhausted);
    ok.close();
    const anonymous = new Client({ port: flow.ports.grpc! });
    const err = await anonymous.post('/', DocumentArray.empty(1)).catch((e: unknown) => e);
    expect((err as TransportError).code).toBe(Code.Unauthenticated);
    anonymous.close();
    expect(flow.lines.join('\n')).not.toContain(TOKEN);
    await flow.kill();
  }, 90_000);
});
