import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { LeanServerTls } from './lean-server.js';

/** Certificate, key and (for mutual TLS) the CA that client certificates must be signed by, all PEM. */
export interface ServerTlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
  /** With a CA, every client must present a certificate signed by it, or its handshake fails. @default none */
  ca?: string | Buffer;
}

/** PEM files of a runtime's TLS: its certificate and key; with `caFile`, mutual TLS. */
export interface TlsFileNames {
  /** Certificate chain (PEM). */
  certFile: string;
  /** Private key of the certificate (PEM). */
  keyFile: string;
  /** CA (PEM) that peers' certificates must be signed by. @default none */
  caFile?: string;
}

/**
 * Reads {@link TlsFileNames}; a missing or unreadable file is a `ConfigError` naming `where`, the
 * option and the path.
 */
export function readTlsFiles(files: TlsFileNames, where: string): ServerTlsMaterial {
  const read = (key: keyof TlsFileNames): Buffer | undefined => {
    const path = files[key];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(
        `${where}: cannot read ${key} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; give the path of a PEM file`,
      );
    }
  };
  if (!files.certFile || !files.keyFile)
    throw new ConfigError(`${where}: TLS needs both certFile and keyFile (PEM files)`);
  return { cert: read('certFile')!, key: read('keyFile')!, ...(files.caFile ? { ca: read('caFile') } : {}) };
}

/**
 * Reads a file of bearer tokens: one per line, or separated by spaces; `#` starts a comment. An
 * unreadable or empty file is a `ConfigError` naming `where` and the path. The tokens are never
 * part of the message.
 */
export function readTokensFile(path: string, where: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `${where}: cannot read the tokens file '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const tokens = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .flatMap((line) => line.split(/\s+/))
    .filter((t) => t.length > 0);
  if (!tokens.length)
    throw new ConfigError(`${where}: the tokens file '${path}' holds no token; put one token per line`);
  return tokens;
}

/**
 * Secure-server options for {@link ServerTlsMaterial}: with a CA, a client without a certificate
 * signed by it fails its TLS handshake (mutual TLS).
 */
export function grpcServerTls(m: ServerTlsMaterial): LeanServerTls {
  return {
    cert: m.cert,
    key: m.key,
    ...(m.ca ? { ca: m.ca, requestCert: true, rejectUnauthorized: true } : {}),
  };
}
