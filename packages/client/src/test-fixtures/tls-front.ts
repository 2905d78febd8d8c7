import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

/**
 * How a TLS port answers a plaintext client:
 * - `close`: closes without a byte (Node's and OpenSSL's TLS servers, hence the Weft gateway);
 * - `nginx`: `HTTP/1.1 400` with nginx's page "The plain HTTP request was sent to HTTPS port";
 * - `go`: `HTTP/1.0 400` "Client sent an HTTP request to an HTTPS server." (Go's net/http);
 * - `alert`: a TLS alert record (0x15 0x03 0x03 …, protocol_version) and close.
 */
export type TlsFrontAnswer = 'close' | 'nginx' | 'go' | 'alert';

const NGINX_PAGE =
  '<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n' +
  '<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

const ANSWERS: Record<Exclude<TlsFrontAnswer, 'close'>, Buffer> = {
  nginx: Buffer.from(
    `HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(NGINX_PAGE)}\r\nConnection: close\r\n\r\n${NGINX_PAGE}`,
  ),
  go: Buffer.from('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n'),
  alert: Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]),
};

/**
 * A TLS port in front of a real TLS server (Node's, with `cert`/`key`): connections that start
 * with a TLS handshake record (0x16) are passed through to it; plaintext ones get `answer`.
 * Counts both kinds, so tests can tell attempts from the client's TLS probes.
 */
export async function startTlsFront(answer: TlsFrontAnswer, tls: { cert: string; key: string }) {
  const backend = createTlsServer({ cert: tls.cert, key: tls.key }, (s) => {
    s.on('error', () => {});
    s.end();
  });
  backend.on('tlsClientError', () => {});
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as AddressInfo).port;
  const counts = { plaintext: 0, tls: 0 };
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const front = createServer((client) => {
    track(client);
    client.once('data', (first: Buffer) => {
      if (first[0] === 0x16) {
        counts.tls++;
        const up = connect(backendPort, '127.0.0.1');
        track(up);
        up.write(first);
        client.pipe(up).pipe(client);
        client.on('close', () => up.destroy());
        up.on('close', () => client.destroy());
        return;
      }
      counts.plaintext++;
      if (answer === 'close') return void client.end();
      client.end(ANSWERS[answer]);
    });
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  return {
    port: (front.address() as AddressInfo).port,
    counts,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => front.close(() => r()));
      await new Promise<void>((r) => backend.close(() => r()));
    },
  };
}
