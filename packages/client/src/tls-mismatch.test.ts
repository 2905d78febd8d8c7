import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type Protocol, TlsError } from './index.js';
import { makeTestCerts, type TestCerts } from './test-fixtures/certs.js';
import { startFakeHttpDoor } from './test-fixtures/fake-doors.js';
import { startRawGateway } from './test-fixtures/raw-server.js';
import { startTlsFront, type TlsFrontAnswer } from './test-fixtures/tls-front.js';

// Plaintext against a TLS port, and TLS against a plaintext port, over every protocol: a
// non-retryable TlsError that says what happened and what to use instead, whatever the TLS server
// answers to plaintext (nothing, an nginx or Go 400 page, a TLS alert).
const PROTOCOLS: Protocol[] = ['grpc', 'http', 'websocket', 'grpc-web'];
const TLS_SCHEME = { grpc: 'grpcs', http: 'https', websocket: 'wss', 'grpc-web': 'https' } as const;
const PLAIN_SCHEME = { grpc: 'grpc', http: 'http', websocket: 'ws', 'grpc-web': 'http' } as const;
const ANSWERS: TlsFrontAnswer[] = ['close', 'nginx', 'go', 'alert'];

let certs: TestCerts;
const fronts = new Map<TlsFrontAnswer, Awaited<ReturnType<typeof startTlsFront>>>();
let plainHttp: Awaited<ReturnType<typeof startFakeHttpDoor>>;
let plainGrpc: Awaited<ReturnType<typeof startRawGateway>>;
const clients: Client[] = [];
const client = (o: ConstructorParameters<typeof Client>[0]) => {
  const c = new Client(o);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  certs = makeTestCerts();
  for (const a of ANSWERS)
    fronts.set(a, await startTlsFront(a, { cert: certs.serverCert, key: certs.serverKey }));
  plainHttp = await startFakeHttpDoor();
  plainGrpc = await startRawGateway();
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const f of fronts.values()) await f.close();
  await plainHttp?.close();
  await plainGrpc?.close();
  certs?.remove();
});

describe('plaintext against a TLS port', () => {
  for (const answer of ANSWERS) {
    for (const protocol of PROTOCOLS) {
      it(`${protocol}, the TLS server answering '${answer}': a TlsError saying to use TLS, not retried`, async () => {
        const front = fronts.get(answer)!;
        const before = { ...front.counts };
        const t0 = performance.now();
        const err = await client({ port: front.port, protocol })
          .post('/', [{ text: 'x' }], { maxAttempts: 3, initialBackoff: 3000, timeoutMs: 10_000 })
          .catch((e: unknown) => e);
        const ms = performance.now() - t0;
        expect(err).toBeInstanceOf(TlsError);
        expect((err as TlsError).retryable).toBe(false);
        expect((err as Error).message).toMatch(
          new RegExp(
            `the gateway at 127\\.0\\.0\\.1:${front.port} speaks TLS \\(.+\\); connect with tls: true or ${TLS_SCHEME[protocol]}://127\\.0\\.0\\.1:${front.port}$`,
          ),
        );
        if (answer === 'nginx' || answer === 'go') {
          if (protocol === 'http' || protocol === 'grpc-web')
            expect((err as Error).message).toMatch(/it answered HTTP 400 "(The plain HTTP|Client sent)/);
        }
        // One plaintext attempt (no retry: the backoff would be ≥ 1.5 s); at most one TLS probe.
        expect(front.counts.plaintext - before.plaintext).toBe(1);
        expect(front.counts.tls - before.tls).toBeLessThanOrEqual(1);
        expect(ms).toBeLessThan(1500);
      });
    }
  }
});

describe('TLS against a plaintext port', () => {
  for (const protocol of PROTOCOLS) {
    it(`${protocol}: a TlsError saying the server did not answer TLS, not retried`, async () => {
      const port = protocol === 'grpc' ? plainGrpc.port : plainHttp.port;
      const t0 = performance.now();
      const err = await client({ port, protocol, tls: { ca: certs.ca } })
        .post('/', [{ text: 'x' }], { maxAttempts: 3, initialBackoff: 3000, timeoutMs: 10_000 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TlsError);
      expect((err as TlsError).retryable).toBe(false);
      expect((err as Error).message).toMatch(
        new RegExp(
          `the server at 127\\.0\\.0\\.1:${port} did not answer TLS \\((wrong version number|packet length too long), ERR_SSL_\\w+\\); it may be plaintext: connect with tls: false or ${PLAIN_SCHEME[protocol]}://127\\.0\\.0\\.1:${port}$`,
        ),
      );
      expect(performance.now() - t0).toBeLessThan(1500);
    });
  }
});
