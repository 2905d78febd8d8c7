import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, TlsError } from './index.js';
import { makeTestCerts, type TestCerts } from './test-fixtures/certs.js';
import { startFakeHttpDoor, startFakeWebSocketDoor } from './test-fixtures/fake-doors.js';

let certs: TestCerts;
let https: Awaited<ReturnType<typeof startFakeHttpDoor>>;
let wss: Awaited<ReturnType<typeof startFakeWebSocketDoor>>;
let plainHttp: Awaited<ReturnType<typeof startFakeHttpDoor>>;
const clients: Client[] = [];
const client = (o: ConstructorParameters<typeof Client>[0]) => {
  const c = new Client(o);
  clients.push(c);
  return c;
};
beforeAll(async () => {
  certs = makeTestCerts();
  const tls = { cert: certs.serverCert, key: certs.serverKey };
  https = await startFakeHttpDoor(tls);
  wss = await startFakeWebSocketDoor(tls);
  plainHttp = await startFakeHttpDoor();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await https?.close();
  await wss?.close();
  await plainHttp?.close();
  certs?.remove();
});

describe('HTTP and WebSocket over TLS', () => {
  for (const protocol of ['http', 'websocket'] as const) {
    it(`${protocol}: posts with a custom CA; a wrong CA is a TlsError naming tls.ca`, async () => {
      const port = protocol === 'http' ? https.port : wss.port;
      const ok = client({ port, protocol, tls: { ca: certs.ca } });
      expect(ok.address).toBe(`${protocol === 'http' ? 'https' : 'wss'}://127.0.0.1:${port}`);
      expect((await ok.post('/', [{ text: 'tls' }])).texts).toEqual(['TLS']);
      const bad = client({ port, protocol, tls: { ca: certs.otherCa } });
      const err = await bad.post('/', [{ text: 'x' }], { maxAttempts: 4 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TlsError);
      expect((err as Error).message).toMatch(/tls\.ca/);
    });
  }

  it('websocket: plaintext against a TLS gateway says to use wss', async () => {
    const err = await client(`ws://127.0.0.1:${wss.port}`)
      .post('/', [{ text: 'x' }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/speaks TLS .*connect with tls: true or wss:\/\//);
  });

  it('http: plaintext against a TLS gateway says to use https', async () => {
    const err = await client(`http://127.0.0.1:${https.port}`)
      .post('/', [{ text: 'x' }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/speaks TLS .*connect with tls: true or https:\/\//);
  });

  it('http: TLS against a plaintext gateway says to connect without TLS', async () => {
    const err = await client(`https://127.0.0.1:${plainHttp.port}`)
      .post('/', [{ text: 'x' }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/did not answer TLS .*it may be plaintext/);
  });
});
