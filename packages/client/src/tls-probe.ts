import * as tls from 'node:tls';
import { TlsError } from './errors.js';

/**
 * Whether `host:port` completes a TLS handshake (certificate not checked). Used after a
 * plaintext connection was dropped without an answer, to tell "this gateway expects TLS" apart
 * from other failures. Resolves false on any error or after `timeoutMs`.
 */
export function speaksTls(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      servername: host.includes(':') ? undefined : host,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    const done = (v: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A {@link TlsError} saying that the gateway at `address` expects TLS. */
export function expectsTlsError(address: string, cause: unknown): TlsError {
  const scheme = address.split('://')[0];
  return new TlsError(
    `${address}: the gateway closed a plaintext connection and answers TLS; it expects TLS: use ${scheme}s:// or tls: true`,
    { cause },
  );
}
