import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import type { ServerTlsMaterial } from './files.js';

/** Options of {@link startTlsFront}. */
export interface TlsFrontOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Port of the plaintext (h2c) gRPC server on 127.0.0.1 that decrypted connections are forwarded to. */
  target: number;
  /** Server certificate and key; with `ca`, mutual TLS. */
  tls: ServerTlsMaterial;
  /** Time a client has to finish its TLS handshake, in ms. @default 10000 */
  handshakeTimeoutMs?: number;
}

/** A running {@link startTlsFront}. */
export interface TlsFront {
  /** The TLS port. */
  readonly port: number;
  /** Stops accepting connections, waits up to `graceMs` for open ones to end, then cuts them. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves TLS (HTTP/2 only, via ALPN `h2`) in front of a plaintext gRPC server on 127.0.0.1:
 * each connection is decrypted here and its bytes forwarded unchanged to `target`. With `tls.ca`
 * the handshake requires a client certificate signed by that CA (mutual TLS), which Node's
 * HTTP/2 server behind cannot be asked for. Used where a runtime's gRPC server takes no TLS
 * options of its own (the executor runtime's lean server).
 *
 * @example
 * ```ts
 * const front = await startTlsFront({ target: worker.port, port: 8080, host: '0.0.0.0', tls: { cert, key, ca } });
 * ```
 */
export async function startTlsFront(options: TlsFrontOptions): Promise<TlsFront> {
  const open = new Set<Socket>();
  const server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      ALPNProtocols: ['h2'],
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
      ...(options.tls.ca ? { ca: options.tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
    },
    (socket: TLSSocket) => {
      const upstream = connect({ port: options.target, host: '127.0.0.1', noDelay: true });
      socket.setNoDelay(true);
      open.add(socket);
      open.add(upstream);
      const cut = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', cut);
      upstream.on('error', cut);
      socket.once('close', () => {
        open.delete(socket);
        upstream.end();
      });
      upstream.once('close', () => {
        open.delete(upstream);
        socket.end();
      });
      socket.pipe(upstream);
      upstream.pipe(socket);
    },
  );
  // A failed handshake (no, or a bad, client certificate; plaintext) only concerns that client.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const s of open) s.destroy();
        }, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}
