// Internal TLS behind a DNS name (a headless Kubernetes Service): the pool expands the name into
// one replica per address, connects to each address, and verifies every one against the name.
import { createDataRequest, requestDocs } from '@weft/core';
import { type GrpcServer, startLeanGrpcServer } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { DeploymentPool } from '@weft/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type TestPki } from './test-fixtures/certs.js';

const PATH = '/jina.JinaSingleDataRequestRPC/process_single_data';
let pki: TestPki;
const servers: GrpcServer[] = [];
const seen: number[] = [];

beforeAll(async () => {
  pki = makePki();
  for (let i = 0; i < 2; i++) {
    servers.push(
      await startLeanGrpcServer({
        tls: { cert: pki.server.cert, key: pki.server.key },
        unary: {
          [PATH]: (bytes) => {
            seen.push(i);
            return bytes;
          },
        },
      }),
    );
  }
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close(100)));
  pki.cleanup();
});

describe('the pool under internal TLS with a DNS name', () => {
  it('connects to the resolved addresses, verifies each against the name, and balances over them', async () => {
    // Pods behind one name share a port on different IPs; here (servers bind 127.0.0.1 only) the
    // name is given with each server's port and resolves to 127.0.0.1.
    const pool = new DeploymentPool(
      'executor',
      servers.map((s) => `executor.weft.test:${s.port}`),
      {
        tls: { ca: pki.ca },
        resolve: async (host) => (host === 'executor.weft.test' ? ['127.0.0.1'] : []),
        dnsRefreshMs: 0,
        retries: 1,
      },
    );
    try {
      expect(await pool.replicaAddresses()).toEqual(servers.map((s) => `127.0.0.1:${s.port}`));
      const docs = new DocumentArray([{ text: 'over tls' }]);
      for (let i = 0; i < 6; i++) {
        const res = await pool.send(createDataRequest({ docs }));
        expect(requestDocs(res).texts).toEqual(['over tls']);
      }
      expect(new Set(seen)).toEqual(new Set([0, 1]));
    } finally {
      pool.close();
    }
  });

  it('refuses an address whose certificate does not carry the name it was resolved from', async () => {
    const pool = new DeploymentPool('other', [`other.weft.test:${servers[0]!.port}`], {
      tls: { ca: pki.ca },
      resolve: async () => ['127.0.0.1'],
      dnsRefreshMs: 0,
      retries: 1,
    });
    try {
      const err = await pool.send(createDataRequest()).catch((e: unknown) => e);
      expect(String((err as Error).message)).toMatch(/other\.weft\.test|altnames|certificate/i);
    } finally {
      pool.close();
    }
  });
});
