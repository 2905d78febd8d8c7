import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { DocumentArray } from '@weft/docarray';
import { Executor, requests, serveExecutor } from '@weft/executor-runtime';
import { describe, expect, it } from 'vitest';
import { gatewayOptionsFromFlags } from './gateway.js';

const base = {
  graphDescription: '{"start-gateway": ["e"], "e": ["end-gateway"]}',
  deploymentsAddresses: '{"e": ["grpc://127.0.0.1:5000", "10.0.0.2:5001"]}',
  protocol: ['grpc'],
  host: '127.0.0.1',
};

describe('weft gateway flags', () => {
  it('maps Jina gateway arguments to gateway options', () => {
    const o = gatewayOptionsFromFlags({
      ...base,
      protocol: ['grpc', 'HTTP'],
      port: ['8080', '8081'],
      deploymentsNoReduce: '["e"]',
      graphConditions: '{"e": {"tags__k": {"$eq": 1}}}',
      deploymentsTimeoutSend: '{"e": 500}',
      timeoutSend: '1000',
      retries: '-1',
      monitoring: true,
      portMonitoring: '9100',
      debugEndpoints: false,
    });
    expect(o.addresses).toEqual({ e: ['127.0.0.1:5000', '10.0.0.2:5001'] });
    expect(o.protocol).toEqual(['grpc', 'http']);
    expect(o.port).toEqual([8080, 8081]);
    expect(o.noReduce).toEqual(['e']);
    expect(o.conditions).toEqual({ e: { tags__k: { $eq: 1 } } });
    expect(o.deployments).toEqual({ e: { timeoutSend: 500 } });
    expect(o.pool).toMatchObject({ timeoutSend: 1000, retries: undefined });
    expect(o.monitoring).toEqual({ port: 9100 });
    expect(o.noDebugEndpoints).toBe(true);
    expect(o.noCrudEndpoints).toBe(false);
  });

  it('names the flag that is wrong', () => {
    expect(() => gatewayOptionsFromFlags({ ...base, graphDescription: '{nope' })).toThrow(
      /--graph-description: not valid JSON/,
    );
    expect(() => gatewayOptionsFromFlags({ ...base, deploymentsAddresses: '{"e": "x"}' })).toThrow(
      /--deployments-addresses: expected/,
    );
    expect(() => gatewayOptionsFromFlags({ ...base, protocol: ['smtp'] })).toThrow(
      /--protocol: 'smtp' is unknown/,
    );
    expect(() => gatewayOptionsFromFlags({ ...base, sslCertfile: 'a.pem' })).toThrow(/--ssl-keyfile/);
  });
});

class Hello extends Executor {
  @requests()
  hi(docs: DocumentArray) {
    for (const d of docs) d.text = 'hi';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('weft gateway process', () => {
  it('serves HTTP in front of a running executor and stops on SIGTERM', async () => {
    const worker = await serveExecutor({ uses: Hello, name: 'e' });
    const port = await freePort();
    const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        cli,
        'gateway',
        '--graph-description',
        base.graphDescription,
        '--deployments-addresses',
        JSON.stringify({ e: [`grpc://127.0.0.1:${worker.port}`] }),
        '--protocol',
        'http',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_LOG_LEVEL: 'warn' } },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('weft gateway did not get ready in 20 s')), 20_000);
        child.stdout.on('data', (b) => {
          if (String(b).includes('Gateway ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`weft gateway exited early with ${code}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [{ text: 'x' }] }),
      });
      const body: any = await res.json();
      expect(body.data?.[0]?.text, JSON.stringify(body)).toBe('hi');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await worker.close(1000);
    }
  }, 40_000);
});
