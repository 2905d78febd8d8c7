import { ConfigError } from '@weft/core';
import { readTlsFiles } from '@weft/core/grpc';
import type { PoolTls } from './pool.js';

/**
 * TLS on the hops behind the gateway (gateway → heads → executors), configured once for a Flow:
 * every runtime serves its gRPC with `certFile`/`keyFile`, and callers verify it against `caFile`.
 * With `caFile`, TLS is mutual: callers present the same certificate, and servers require one
 * signed by `caFile`. Without it, certificates are verified against the system CAs and no client
 * certificate is asked for.
 */
export interface InternalTls {
  /** Certificate (PEM) each runtime serves and, with `caFile`, presents as a client. */
  certFile: string;
  /** Private key (PEM) of `certFile`. */
  keyFile: string;
  /** CA (PEM) that signed `certFile`: peers are verified against it and mutual TLS is on. @default the system CAs, no client certificates */
  caFile?: string;
}

/**
 * The pool's TLS towards replicas for {@link InternalTls}: verify against `caFile`, present the
 * certificate when TLS is mutual.
 */
export function internalPoolTls(tls: InternalTls, where: string): PoolTls {
  const m = readTlsFiles(tls, where);
  if (!m.ca) return true;
  return { ca: m.ca, cert: m.cert, key: m.key };
}

/** Checks that `internalTls` and `pool.tls` are not both given. */
export function checkOneTls(
  internalTls: InternalTls | undefined,
  poolTls: PoolTls | undefined,
  where: string,
) {
  if (internalTls && poolTls !== undefined)
    throw new ConfigError(`${where}: give internalTls or pool.tls, not both (internalTls sets pool.tls)`);
}
