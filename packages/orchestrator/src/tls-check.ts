import { createPrivateKey, X509Certificate } from 'node:crypto';
import { ConfigError } from '@weft/core';
import { readTlsFiles } from '@weft/core/grpc';
import type { TlsFiles } from './options.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * @internal Checks a Flow's `internalTls` before anything starts, so that a certificate that cannot
 * work fails with a message naming the problem rather than as connections that close without a
 * word: readable PEM files, a key that belongs to the certificate, not expired, signed by `caFile`,
 * usable for servers and (mutual TLS, with `caFile`) for clients, and naming `host` when given.
 */
export function checkInternalTls(tls: TlsFiles, where: string, host?: string): void {
  const m = readTlsFiles(tls, where);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(m.cert);
  } catch (err) {
    throw new ConfigError(
      `${where}: certFile '${tls.certFile}' is not a PEM certificate (${(err as Error).message})`,
    );
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(m.key)))
      throw new ConfigError(
        `${where}: keyFile '${tls.keyFile}' is not the key of certFile '${tls.certFile}'`,
      );
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      `${where}: keyFile '${tls.keyFile}' is not a PEM private key (${(err as Error).message})`,
    );
  }
  if (Date.parse(cert.validTo) < Date.now())
    throw new ConfigError(`${where}: certFile '${tls.certFile}' expired on ${cert.validTo}`);
  const usages = cert.keyUsage as string[] | undefined;
  if (usages?.length && !usages.includes(SERVER_AUTH))
    throw new ConfigError(
      `${where}: certFile '${tls.certFile}' may not serve TLS (its extended key usage lacks serverAuth); every runtime serves with it`,
    );
  if (m.ca) {
    if (usages?.length && !usages.includes(CLIENT_AUTH))
      throw new ConfigError(
        `${where}: certFile '${tls.certFile}' lacks the clientAuth extended key usage; with caFile, TLS is mutual and every caller presents this certificate`,
      );
    let ca: X509Certificate;
    try {
      ca = new X509Certificate(m.ca);
    } catch (err) {
      throw new ConfigError(
        `${where}: caFile '${tls.caFile}' is not a PEM certificate (${(err as Error).message})`,
      );
    }
    // A certFile with intermediates is checked by the TLS handshake instead.
    const single = String(m.cert).split('-----BEGIN CERTIFICATE-----').length === 2;
    if (single && !(cert.checkIssued(ca) && cert.verify(ca.publicKey)))
      throw new ConfigError(
        `${where}: certFile '${tls.certFile}' is not signed by caFile '${tls.caFile}'; callers verify every runtime against caFile`,
      );
  }
  if (host !== undefined && !cert.checkIP(host) && !cert.checkHost(host))
    throw new ConfigError(
      `${where}: certFile '${tls.certFile}' does not name ${host} (subjectAltName IP:${host}); runtimes of a local Flow are called at ${host}`,
    );
}
