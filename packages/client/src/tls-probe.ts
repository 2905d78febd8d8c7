import * as tls from 'node:tls';
import { type ErrorContext, plaintextToTlsError, type TlsError, tlsErrorOf } from './errors.js';

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

/** A {@link TlsError} saying that the gateway at `address`, which refused a plaintext connection, speaks TLS. */
export function expectsTlsError(address: string, cause: unknown): TlsError {
  return plaintextToTlsError(
    address,
    'it refused this plaintext connection and completes a TLS handshake',
    cause,
  );
}

/**
 * Runs a TLS handshake to `host:port` with the client's TLS options and returns the TlsError it
 * fails with (untrusted certificate, wrong host name, rejected client certificate, plaintext
 * server), or undefined when the handshake succeeds or fails for another reason.
 */
export function tlsHandshakeError(
  host: string,
  port: number,
  options: tls.ConnectionOptions,
  ctx: ErrorContext,
  timeoutMs = 2000,
): Promise<TlsError | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, servername: host.includes(':') ? undefined : host, ...options });
    const done = (v: TlsError | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('secureConnect', () => {
      // With TLS 1.3 a rejected client certificate shows only on the first read.
      socket.once('error', (err) => done(tlsErrorOf(err, ctx)));
      setTimeout(() => done(undefined), 100);
    });
    socket.once('error', (err) => done(tlsErrorOf(err, ctx)));
  });
}
