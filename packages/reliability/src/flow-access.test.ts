// Case 10 through a Flow: bearer tokens and limits configured on the Flow reach its gateway
// process (tokens over IPC, never in its argv or environment), and internal TLS (mutual with a CA)
// between gateway, heads and executors, configured once on the Flow.
import { readFileSync, writeFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Client, Code, TransportError } from '@weft/client';
import { waitForServing } from '@weft/core/grpc';
import { Document, DocumentArray } from '@weft/docarray';
import { Flow } from '@weft/orchestrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type TestPki } from './test-fixtures/certs.js';
import { Tagger } from './test-fixtures/executors.js';

const TOKEN = 'flow-token-from-file-7f3a';
const INLINE = 'inline-token-91c2';

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.cleanup());

async function failure(p: Promise<unknown>): Promise<TransportError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call should have failed').toBeInstanceOf(TransportError);
  return err as TransportError;
}

/** Null-separated strings of a /proc file (argv, environment). */
const procStrings = (pid: number, file: 'cmdline' | 'environ') =>
  readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').join(' ');

describe('a Flow with auth and limits', () => {
  let flow: Flow;
  const logs: string[] = [];
  beforeAll(async () => {
    const tokensFile = join(pki.dir, 'tokens');
    writeFileSync(tokensFile, `# gateway tokens\n${TOKEN}\n`);
    flow = new Flow({
      protocol: ['grpc', 'http'],
      auth: { tokens: [INLINE], tokensFile },
      limits: { bodyLimit: 4096, maxInFlight: 50 },
      log: (line) => logs.push(line),
      env: { WEFT_LOG_LEVEL: 'debug' },
    }).add({ uses: Tagger, name: 'tagger' });
    await flow.start();
  }, 60_000);
  afterAll(() => flow?.close());

  const port = (protocol: string) => flow.doors.find((d) => d.protocol === protocol)!.port;

  it('refuses a client without a token with UNAUTHENTICATED (gRPC and HTTP) and serves one with a token', async () => {
    for (const protocol of ['grpc', 'http'] as const) {
      const anonymous = new Client({ port: port(protocol), protocol });
      const err = await failure(anonymous.post('/', DocumentArray.empty(1)));
      expect(err.code, `${protocol}: ${err.message}`).toBe(Code.Unauthenticated);
      expect(err.message).toMatch(/missing credentials/);
      expect(err.retryable).toBe(false);
      anonymous.close();
      const wrong = new Client({ port: port(protocol), protocol, headers: { authorization: 'Bearer nope' } });
      expect((await failure(wrong.post('/', DocumentArray.empty(1)))).code).toBe(Code.Unauthenticated);
      wrong.close();
      for (const token of [TOKEN, INLINE]) {
        const c = new Client({
          port: port(protocol),
          protocol,
          headers: { authorization: `Bearer ${token}` },
        });
        const r = await c.post('/', new DocumentArray([new Document({ text: protocol })]));
        expect(r.texts).toEqual([`${protocol};`]);
        c.close();
      }
    }
  }, 30_000);

  it('passes the limits: a message over bodyLimit gets RESOURCE_EXHAUSTED (gRPC) and 413 (HTTP)', async () => {
    const big = new DocumentArray([new Document({ text: 'x'.repeat(8192) })]);
    const c = new Client({ port: port('grpc'), headers: { authorization: `Bearer ${TOKEN}` } });
    const err = await failure(c.post('/', big));
    expect(err.code, err.message).toBe(Code.ResourceExhausted);
    c.close();
    const res = await fetch(`http://127.0.0.1:${port('http')}/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ data: [{ text: 'x'.repeat(8192) }] }),
    });
    expect(res.status).toBe(413);
    await res.body?.cancel();
  });

  it('a restarted gateway gets its tokens again', async () => {
    const before = flow.describe().find((r) => r.kind === 'gateway')!;
    process.kill(before.pid!, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    let now = before;
    while (Date.now() < deadline) {
      now = flow.describe().find((r) => r.kind === 'gateway')!;
      if (now.restarts === before.restarts + 1 && now.state === 'ready') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(now.restarts).toBe(before.restarts + 1);
    expect(now.pid).not.toBe(before.pid);
    const c = new Client({ port: port('grpc'), headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await c.post('/', DocumentArray.empty(1))).texts).toEqual([';']);
    c.close();
    const anonymous = new Client({ port: port('grpc') });
    expect((await failure(anonymous.post('/', DocumentArray.empty(1)))).code).toBe(Code.Unauthenticated);
    anonymous.close();
  }, 30_000);

  it('keeps the tokens out of the gateway process argv, environment and logs', () => {
    const gw = flow.describe().find((r) => r.kind === 'gateway')!;
    const seen = `${procStrings(gw.pid!, 'cmdline')} ${procStrings(gw.pid!, 'environ')} ${logs.join('\n')}`;
    expect(seen).toContain('WEFT_ROLE'); // the role is there, so we did read the right process
    expect(seen).not.toContain(TOKEN);
    expect(seen).not.toContain(INLINE);
  });
});

describe('a Flow with mutual TLS at its doors', () => {
  it('serves a client certificate of tls.caFile and refuses a client without one', async () => {
    await using flow = await new Flow({ tls: { ...pki.server, caFile: pki.caFile } })
      .add({ uses: Tagger, name: 'door' })
      .start();
    expect(flow.doors[0]!.url).toBe(`grpcs://127.0.0.1:${flow.port}`);
    const withCert = new Client({
      port: flow.port!,
      tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key },
    });
    expect((await withCert.post('/', DocumentArray.empty(1))).texts).toEqual([';']);
    withCert.close();
    const without = new Client({ port: flow.port!, tls: { ca: pki.ca } });
    const err = await failure(without.post('/', DocumentArray.empty(1)));
    expect(err.code, err.message).toBe(Code.Unauthenticated);
    expect(err.message).toMatch(/client certificate refused: none was sent/);
    without.close();
  }, 60_000);
});

/** A TLS handshake against `port` followed by one read; 'ok' or the error code. */
function handshake(port: number, opts: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], ...opts });
    const timer = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, 5000);
    const done = (v: string) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    s.on('close', () => done('closed'));
    // With TLS 1.3 the server judges the client certificate after the client's Finished: wait for its verdict.
    s.on('secureConnect', () => setTimeout(() => done('ok'), 300));
    s.on('data', () => {});
  });
}

/** A plaintext (h2c) gRPC health call; the gRPC status it got, or what went wrong. */
function plaintextGrpc(port: number): Promise<string> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => {
      session.destroy();
      resolve('no answer');
    }, 3000);
    const done = (v: string) => {
      clearTimeout(timer);
      session.destroy();
      resolve(v);
    };
    session.on('error', (e: NodeJS.ErrnoException) => done(`error ${e.code ?? e.message}`));
    session.on('close', () => done('connection closed'));
    const s = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    s.on('error', (e: NodeJS.ErrnoException) => done(`error ${e.code ?? e.message}`));
    s.on('response', (h) => done(`status ${h['grpc-status'] ?? h[':status']}`));
    s.on('close', () => done('stream closed'));
    s.end(Buffer.alloc(5));
  });
}

describe('a Flow with internal TLS', () => {
  let flow: Flow;
  beforeAll(async () => {
    flow = new Flow({ internalTls: { ...pki.server, caFile: pki.caFile } })
      .add({ uses: Tagger, name: 'first', replicas: 2 })
      .add({ uses: Tagger, name: 'sharded', shards: 2, polling: 'ALL' });
    await flow.start();
  }, 60_000);
  afterAll(() => flow?.close());

  it('serves requests end to end: client → gateway → executors and head → shards, over mutual TLS', async () => {
    const c = new Client({ port: flow.port! });
    const r = await c.post('/', DocumentArray.empty(3));
    // first adds ';', both shards of 'sharded' add one more each and are reduced (first non-empty text wins).
    expect(r.texts).toEqual([';;', ';;', ';;']);
    c.close();
  });

  it('every executor and head port speaks TLS only, and only to a client certificate of the CA', async () => {
    const runtimes = flow.describe().filter((r) => r.kind !== 'gateway');
    expect(runtimes.map((r) => r.name).sort()).toEqual([
      'first/rep-0',
      'first/rep-1',
      'sharded/head',
      'sharded/shard-0/rep-0',
      'sharded/shard-1/rep-0',
    ]);
    const trust = { ca: pki.ca };
    for (const { name, port } of runtimes) {
      expect(await plaintextGrpc(port), `${name}: plaintext`).toMatch(/closed|error/);
      expect(await handshake(port, trust), `${name}: no client certificate`).toBe(
        'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      );
      expect(
        await handshake(port, { ...trust, cert: pki.clientOfOtherCa.cert, key: pki.clientOfOtherCa.key }),
        `${name}: certificate of another CA`,
      ).toBe('closed'); // Node's TLS server hangs up on a client certificate it cannot verify, without an alert
      expect(
        await handshake(port, { ca: pki.otherCa, cert: pki.client.cert, key: pki.client.key }),
        `${name}: server certificate not trusted`,
      ).toBe('SELF_SIGNED_CERT_IN_CHAIN');
      expect(
        await waitForServing(`127.0.0.1:${port}`, {
          tls: true,
          clientCert: { cert: pki.client.cert, key: pki.client.key },
          timeoutMs: 3000,
        }),
        `${name}: health over mutual TLS`,
      ).toBe(true);
    }
  }, 60_000);
});

describe('a Flow with internal TLS without a CA (not mutual)', () => {
  it('serves over TLS verified against the system CAs (here NODE_EXTRA_CA_CERTS) and asks for no client certificate', async () => {
    await using flow = await new Flow({
      internalTls: pki.server,
      env: { NODE_EXTRA_CA_CERTS: pki.caFile },
    })
      .add({ uses: Tagger, name: 'only' })
      .start();
    const c = new Client({ port: flow.port! });
    expect((await c.post('/', DocumentArray.empty(2))).texts).toEqual([';', ';']);
    c.close();
    const executor = flow.describe().find((r) => r.kind === 'executor')!;
    expect(await plaintextGrpc(executor.port)).toMatch(/closed|error/);
    expect(await handshake(executor.port, { ca: pki.ca })).toBe('ok');
  }, 60_000);
});

describe('internal TLS certificates that cannot work', () => {
  it('fail start() before anything runs, saying what is wrong', async () => {
    const start = (internalTls: ConstructorParameters<typeof Flow>[0] & object) =>
      new Flow(internalTls).add({ uses: Tagger, name: 'never' }).start();
    await expect(start({ internalTls: { ...pki.clientOfOtherCa, caFile: pki.caFile } })).rejects.toThrow(
      /certFile '.*client-other-ca\.pem' is not signed by caFile/,
    );
    await expect(start({ internalTls: { ...pki.client, caFile: pki.caFile } })).rejects.toThrow(
      /does not name 127\.0\.0\.1 \(subjectAltName IP:127\.0\.0\.1\)/,
    );
    await expect(start({ internalTls: { ...pki.expiredServer, caFile: pki.caFile } })).rejects.toThrow(
      /expired on/,
    );
    await expect(
      start({
        internalTls: { certFile: pki.server.certFile, keyFile: pki.client.keyFile, caFile: pki.caFile },
      }),
    ).rejects.toThrow(/is not the key of certFile/);
    await expect(
      start({ internalTls: { ...pki.server, caFile: join(pki.dir, 'missing.pem') } }),
    ).rejects.toThrow(/cannot read caFile '.*missing\.pem': ENOENT/);
  });
});
