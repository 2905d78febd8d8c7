// Certificates for the TLS cases, made with the openssl CLI in a temporary folder: two CAs, a
// server certificate for 127.0.0.1, client certificates (valid, from the wrong CA, expired) and an
// expired server certificate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM file paths and contents of one certificate and its key. */
export interface CertFiles {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/** Everything the TLS cases need; `cleanup()` removes the folder. */
export interface TestPki {
  /** The temporary folder holding every file. */
  dir: string;
  caFile: string;
  ca: Buffer;
  otherCa: Buffer;
  server: CertFiles;
  expiredServer: CertFiles;
  client: CertFiles;
  clientOfOtherCa: CertFiles;
  expiredClient: CertFiles;
  cleanup(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'weft-pki-'));
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => {
    const sub = join(dir, name);
    execFileSync('mkdir', ['-p', sub]);
    writeFileSync(join(sub, 'index.txt'), '');
    writeFileSync(join(sub, 'serial'), '1000\n');
    writeFileSync(
      join(sub, 'ca.cnf'),
      `[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = ${sub}/index.txt\nnew_certs_dir = ${sub}\nserial = ${sub}/serial\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n[ p ]\ncommonName = supplied\n`,
    );
    ssl([
      'req',
      '-x509',
      ...EC,
      '-keyout',
      `${sub}/ca.key`,
      '-out',
      `${sub}/ca.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return sub;
  };
  const leaf = (caDir: string, name: string, opts: { server?: boolean; expired?: boolean }): CertFiles => {
    const keyFile = join(dir, `${name}.key`);
    const certFile = join(dir, `${name}.pem`);
    ssl([
      'req',
      ...EC,
      '-keyout',
      keyFile,
      '-out',
      join(dir, `${name}.csr`),
      '-subj',
      `/CN=${name}`,
      ...(opts.server ? ['-addext', 'subjectAltName=IP:127.0.0.1,DNS:executor.weft.test'] : []),
    ]);
    ssl([
      'ca',
      '-batch',
      '-notext',
      '-config',
      `${caDir}/ca.cnf`,
      '-cert',
      `${caDir}/ca.pem`,
      '-keyfile',
      `${caDir}/ca.key`,
      '-in',
      join(dir, `${name}.csr`),
      '-out',
      certFile,
      ...(opts.expired ? ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z'] : ['-days', '1']),
    ]);
    return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
  };
  const ca1 = ca('ca1');
  const ca2 = ca('ca2');
  return {
    dir,
    caFile: `${ca1}/ca.pem`,
    ca: readFileSync(`${ca1}/ca.pem`),
    otherCa: readFileSync(`${ca2}/ca.pem`),
    server: leaf(ca1, 'server', { server: true }),
    expiredServer: leaf(ca1, 'expired-server', { server: true, expired: true }),
    client: leaf(ca1, 'client', {}),
    clientOfOtherCa: leaf(ca2, 'client-other-ca', {}),
    expiredClient: leaf(ca1, 'expired-client', { expired: true }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
