import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, TlsError } from './index.js';
import { makeTestCerts, type TestCerts } from './test-fixtures/certs.js';
import { startRawGateway } from './test-fixtures/raw-server.js';

type Raw = Awaited<ReturnType<typeof startRawGateway>>;
let certs: TestCerts;
let tls: Raw;
let mtls: Raw;
let plain: Raw;
const clients: Client[] = [];
const client = (o: ConstructorParameters<typeof Client>[0]) => {
  const c = new Client(o);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  certs = makeTestCerts();
  tls = await startRawGateway({ cert: certs.serverCert, key: certs.serverKey });
  mtls = await startRawGateway({
    cert: certs.serverCert,
    key: certs.serverKey,
    requestCert: true,
    ca: certs.ca,
  });
  plain = await startRawGateway();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await tls?.close();
  await mtls?.close();
  await plain?.close();
  certs?.remove();
});

describe('Client over gRPC with TLS', () => {
  it('posts over TLS with a custom CA', async () => {
    const c = client({ port: tls.port, tls: { ca: certs.ca } });
    expect(c.address).toBe(`grpcs://127.0.0.1:${tls.port}`);
    const r = await c.post('/', [{ text: 'secure' }]);
    expect(r.texts).toEqual(['secure']);
    expect(await c.isFlowReady()).toBe(true);
  });

  it('sends a client certificate to a gateway that requires one', async () => {
    const c = client({
      port: mtls.port,
      tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
    });
    expect((await c.post('/', [{ text: 'mutual' }])).texts).toEqual(['mutual']);
  });

  it('a wrong CA is a non-retryable TlsError that says to set tls.ca', async () => {
    const c = client({ port: tls.port, tls: { ca: certs.otherCa } });
    const t0 = Date.now();
    const err = await c
      .post('/', [{ text: 'x' }], { maxAttempts: 5, initialBackoff: 1000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/not trusted .*tls\.ca/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('TLS against a plaintext gateway says to connect without TLS', async () => {
    const c = client(`grpcs://127.0.0.1:${plain.port}`);
    const err = await c.post('/', [{ text: 'x' }], { maxAttempts: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/did not answer TLS .*tls: false or grpc:\/\//);
  });

  it('plaintext against a TLS gateway says to use TLS', async () => {
    const c = client({ port: tls.port });
    const err = await c
      .post('/', [{ text: 'x' }], { maxAttempts: 3, initialBackoff: 1000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/speaks TLS .*connect with tls: true or grpcs:\/\//);
  });

  it('without the client certificate a mutual-TLS gateway rejects the handshake', async () => {
    const c = client({ port: mtls.port, tls: { ca: certs.ca } });
    const err = await c.post('/', [{ text: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/client certificate/);
  });
});
