import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Code, TransportError } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { Executor, requests, serveExecutor } from '@weft/executor-runtime';
import { Flow, toDockerCompose, toKubernetes } from '@weft/orchestrator';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../program.js';
import { gatewayOptionsFromFlags } from './gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-gateway-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'cli-gateway-token-2b9';
const tokensFile = join(dir, 'tokens');
writeFileSync(tokensFile, `# tokens\n${TOKEN}\nsecond-token\n`);

const base = {
  graphDescription: '{"start-gateway": ["e"], "e": ["end-gateway"]}',
  deploymentsAddresses: '{"e": ["grpc://127.0.0.1:5000", "10.0.0.2:5001"]}',
  protocol: ['grpc'],
  host: '127.0.0.1',
};

describe('weft gateway flags', () => {
  it('maps Jina gateway arguments to gateway options', () => {
    const o = gatewayOptionsFromFlags({
      ...base,
      protocol: ['grpc', 'HTTP'],
      port: ['8080', '8081'],
      deploymentsNoReduce: '["e"]',
      graphConditions: '{"e": {"tags__k": {"$eq": 1}}}',
      deploymentsTimeoutSend: '{"e": 500}',
      timeoutSend: '1000',
      retries: '-1',
      monitoring: true,
      portMonitoring: '9100',
      debugEndpoints: false,
    });
    expect(o.addresses).toEqual({ e: ['127.0.0.1:5000', '10.0.0.2:5001'] });
    expect(o.protocol).toEqual(['grpc', 'http']);
    expect(o.port).toEqual([8080, 8081]);
    expect(o.noReduce).toEqual(['e']);
    expect(o.conditions).toEqual({ e: { tags__k: { $eq: 1 } } });
    expect(o.deployments).toEqual({ e: { timeoutSend: 500 } });
    expect(o.pool).toMatchObject({ timeoutSend: 1000, retries: undefined });
    expect(o.monitoring).toEqual({ port: 9100 });
    expect(o.noDebugEndpoints).toBe(true);
    expect(o.noCrudEndpoints).toBe(false);
  });

  it('names the flag that is wrong', () => {
    expect(() => gatewayOptionsFromFlags({ ...base, graphDescription: '{nope' })).toThrow(
      /--graph-description: not valid JSON/,
    );
    expect(() => gatewayOptionsFromFlags({ ...base, deploymentsAddresses: '{"e": "x"}' })).toThrow(
      /--deployments-addresses: expected/,
    );
    expect(() => gatewayOptionsFromFlags({ ...base, protocol: ['smtp'] })).toThrow(
      /--protocol: 'smtp' is unknown/,
    );
    expect(() => gatewayOptionsFromFlags({ ...base, sslCertfile: 'a.pem' })).toThrow(/--ssl-keyfile/);
    expect(() => gatewayOptionsFromFlags({ ...base, maxInFlight: '0' })).toThrow(
      /--max-in-flight: '0' is not an integer ≥ 1/,
    );
    expect(() => gatewayOptionsFromFlags({ ...base, authTokensFile: join(dir, 'nope') })).toThrow(
      /--auth-tokens-file: cannot read the tokens file '.*nope': ENOENT/,
    );
    expect(() => gatewayOptionsFromFlags({ ...base, publicHealth: false })).toThrow(
      /--no-public-health .* give --auth-tokens-file/,
    );
    expect(() =>
      gatewayOptionsFromFlags({ ...base, deploymentsSslCertfile: 'a.pem', deploymentsSslKeyfile: 'a.key' }),
    ).toThrow(/'grpc:\/\/127\.0\.0\.1:5000' of e is plaintext, but --deployments-ssl-\* asks for TLS/);
  });

  it('maps access, limit and TLS flags', () => {
    const o = gatewayOptionsFromFlags({
      ...base,
      deploymentsAddresses: '{"e": ["grpcs://e.svc:8080"]}',
      authTokensFile: tokensFile,
      authToken: ['inline'],
      publicHealth: false,
      sslCertfile: 'door.crt',
      sslKeyfile: 'door.key',
      sslCafile: 'clients.crt',
      headersTimeoutMs: '2000',
      requestTimeoutMs: '60000',
      idleTimeoutMs: '30000',
      maxConnections: '100',
      maxConcurrentStreams: '10',
      maxInFlight: '50',
      bodyLimit: '4096',
      deploymentsSslCafile: 'ca.crt',
      deploymentsSslCertfile: 'tls.crt',
      deploymentsSslKeyfile: 'tls.key',
    });
    expect(o.auth).toEqual({ tokens: ['inline', TOKEN, 'second-token'], publicHealth: false });
    expect(o.tls).toEqual({ certFile: 'door.crt', keyFile: 'door.key', caFile: 'clients.crt' });
    expect(o.limits).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 60000,
      idleTimeoutMs: 30000,
      maxConnections: 100,
      maxConcurrentStreams: 10,
      maxInFlight: 50,
    });
    expect(o.bodyLimit).toBe(4096);
    expect(o.internalTls).toEqual({ certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' });
    expect(o.pool?.tls).toBeUndefined();
    expect(o.addresses).toEqual({ e: ['e.svc:8080'] });
  });

  it('knows every flag the Kubernetes and Compose exports write', () => {
    writeFileSync(join(dir, 'pem'), 'placeholder');
    const pem = join(dir, 'pem');
    const files = { certFile: pem, keyFile: pem, caFile: pem };
    const flow = new Flow({
      protocol: ['grpc', 'http'],
      tls: files,
      internalTls: files,
      auth: { tokensFile, publicHealth: false },
      limits: {
        headersTimeoutMs: 1,
        requestTimeoutMs: 1,
        idleTimeoutMs: 1,
        maxConnections: 1,
        maxConcurrentStreams: 1,
        maxInFlight: 1,
        bodyLimit: 1,
      },
    })
      .add({ uses: Hello, name: 'a', replicas: 2 })
      .add({ uses: Hello, name: 'b', shards: 2, usesAfter: Hello });
    // publicHealth false with door mutual TLS cannot be probed: export the two halves separately.
    const k8s = toKubernetes(
      new Flow({ ...flow.spec.options, tls: { certFile: pem, keyFile: pem } }).add({
        uses: Hello,
        name: 'a',
      }),
      { includeSecrets: false },
    );
    const compose = toDockerCompose(
      new Flow({ ...flow.spec.options, auth: { tokensFile } })
        .add({ uses: Hello, name: 'a', replicas: 2 })
        .add({ uses: Hello, name: 'b', shards: 2, usesAfter: Hello }),
    );
    const commands: string[][] = [];
    for (const objs of Object.values(k8s))
      for (const o of objs as any[]) {
        const c = o.spec?.template?.spec?.containers?.[0];
        if (c) commands.push(c.args, c.readinessProbe.exec.command.slice(1));
      }
    for (const svc of Object.values(compose.services))
      commands.push(svc.command, svc.healthcheck.test.slice(2));
    const program = buildProgram();
    const known = (name: string) =>
      new Set(
        (program.commands.find((c: Command) => c.name() === name)?.options ?? []).map(
          (o) => o.long as string,
        ),
      );
    const seen = new Set<string>();
    for (const args of commands) {
      const flags = known(args[0]!);
      for (const a of args.filter((x) => x.startsWith('--'))) {
        expect(flags, `weft ${args[0]} ${a}`).toContain(a);
        seen.add(`${args[0]} ${a}`);
      }
    }
    // The access flags were among them.
    for (const f of [
      'gateway --auth-tokens-file',
      'gateway --no-public-health',
      'gateway --ssl-cafile',
      'gateway --max-in-flight',
      'gateway --body-limit',
      'gateway --deployments-ssl-certfile',
      'executor --ssl-cafile',
      'head --ssl-cafile',
      'ping --ssl-certfile',
      'ping --auth-tokens-file',
    ])
      expect(seen).toContain(f);
  });
});

export class Hello extends Executor {
  @requests()
  hi(docs: DocumentArray) {
    for (const d of docs) d.text = 'hi';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

describe('weft gateway --help', () => {
  it('lists the access, limit and TLS flags', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [CLI, 'gateway', '--help'], (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    for (const flag of [
      '--auth-tokens-file <file>',
      '--auth-token <token>',
      '--no-public-health',
      '--ssl-cafile <file>',
      '--headers-timeout-ms <ms>',
      '--request-timeout-ms <ms>',
      '--idle-timeout-ms <ms>',
      '--max-connections <n>',
      '--max-concurrent-streams <n>',
      '--max-in-flight <n>',
      '--body-limit <bytes>',
      '--deployments-ssl-cafile <file>',
      '--deployments-ssl-certfile <file>',
      '--deployments-ssl-keyfile <file>',
    ])
      expect(out).toContain(flag);
  });
});

describe('weft gateway process', () => {
  it('with --auth-tokens-file refuses a call without the token and serves one with it; --body-limit applies', async () => {
    const worker = await serveExecutor({ uses: Hello, name: 'e' });
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        CLI,
        'gateway',
        '--graph-description',
        base.graphDescription,
        '--deployments-addresses',
        JSON.stringify({ e: [`grpc://127.0.0.1:${worker.port}`] }),
        '--port',
        String(port),
        '--auth-tokens-file',
        tokensFile,
        '--body-limit',
        '2048',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_LOG_LEVEL: 'warn' } },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('weft gateway did not get ready in 20 s')), 20_000);
        child.stdout.on('data', (b) => {
          if (String(b).includes('Gateway ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`weft gateway exited early with ${code}`)));
      });
      const anonymous = new Client({ port });
      const err = await anonymous.post('/', DocumentArray.empty(1)).catch((e: unknown) => e);
      anonymous.close();
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe(Code.Unauthenticated);
      const c = new Client({ port, headers: { authorization: `Bearer ${TOKEN}` } });
      expect((await c.post('/', DocumentArray.empty(1))).texts).toEqual(['hi']);
      const big = await c.post('/', new DocumentArray([{ text: 'x'.repeat(4096) }])).catch((e: unknown) => e);
      expect((big as TransportError).code).toBe(Code.ResourceExhausted);
      c.close();
      expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8')).not.toContain(TOKEN);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await worker.close(1000);
    }
  }, 40_000);

  it('serves HTTP in front of a running executor and stops on SIGTERM', async () => {
    const worker = await serveExecutor({ uses: Hello, name: 'e' });
    const port = await freePort();
    const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        cli,
        'gateway',
        '--graph-description',
        base.graphDescription,
        '--deployments-addresses',
        JSON.stringify({ e: [`grpc://127.0.0.1:${worker.port}`] }),
        '--protocol',
        'http',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_LOG_LEVEL: 'warn' } },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('weft gateway did not get ready in 20 s')), 20_000);
        child.stdout.on('data', (b) => {
          if (String(b).includes('Gateway ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`weft gateway exited early with ${code}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [{ text: 'x' }] }),
      });
      const body: any = await res.json();
      expect(body.data?.[0]?.text, JSON.stringify(body)).toBe('hi');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await worker.close(1000);
    }
  }, 40_000);
});
