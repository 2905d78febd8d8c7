// CPU profile of one gRPC hop under load: an echo server of `process_single_data` in a child
// process and a closed-loop client here (32 docs × 512-dim float32, concurrency 32), both run
// with `node --cpu-prof`. Prints, per side, where self time goes (grouped by package / Node
// internals) and the top functions.
// Run: npx tsx benchmarks/src/lean-profile.ts connect|lean|bytes [outDir]
// (`connect`: connect-node server + connect-node client, Weft's settings; `lean`: the lean layer,
// still decoding and encoding every message on both sides; `bytes`: the lean layer moving
// pre-encoded bytes, nothing decoded.)
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createLeanClient, createWeftTransport, startGrpcServer, startLeanGrpcServer } from '@weft/core/grpc';
import { DataRequestProtoSchema, JinaSingleDataRequestRPC } from '@weft/proto';
import { fmt, runLoad } from './load.js';
import { makeRequest } from './payload.js';

const PATH = '/jina.JinaSingleDataRequestRPC/process_single_data';
const [role, kind, arg] = process.argv.slice(2);

if (role === 'server') {
  // Child: serve an echo in the chosen stack; decode + encode, as a real server would.
  const server =
    kind === 'lean' || kind === 'bytes'
      ? await startLeanGrpcServer({
          routes: () => {},
          unary: {
            [PATH]:
              kind === 'bytes'
                ? (bytes) => bytes
                : (bytes) => toBinary(DataRequestProtoSchema, fromBinary(DataRequestProtoSchema, bytes)),
          },
        })
      : await startGrpcServer({
          routes: (router) => router.service(JinaSingleDataRequestRPC, { process_single_data: (req) => req }),
        });
  process.send?.({ port: server.port });
  process.on('disconnect', () => {
    void server.close(100).then(() => process.exit(0));
  });
} else if (role === 'client') {
  // Child: the load, in its own profiled process.
  const port = Number(arg);
  const req = makeRequest(32, 512);
  const durationMs = Number(process.env.BENCH_MS ?? 4000);
  let sent = 0;
  let send: () => Promise<unknown>;
  let close: () => void;
  if (kind === 'bytes') {
    const c = createLeanClient(`http://127.0.0.1:${port}`);
    const encoded = toBinary(DataRequestProtoSchema, req);
    send = () => c.unary(PATH, encoded);
    close = () => c.close();
  } else if (kind === 'lean') {
    const c = createLeanClient(`http://127.0.0.1:${port}`);
    send = async () =>
      fromBinary(
        DataRequestProtoSchema,
        (await c.unary(PATH, toBinary(DataRequestProtoSchema, req))).message,
      );
    close = () => c.close();
  } else {
    const t = createWeftTransport(`http://127.0.0.1:${port}`);
    const c = createClient(JinaSingleDataRequestRPC, t.transport);
    send = () => c.process_single_data(req);
    close = () => t.close();
  }
  const counted = () => {
    sent++;
    return send();
  };
  const r = await runLoad(counted, { concurrency: 32, durationMs });
  console.log(`${kind} echo, c=32: ${fmt(r)}; ${sent} requests in all (with warm-up)`);
  close();
  process.send?.({ sent });
  process.exit(0);
} else {
  const stack = role === 'lean' || role === 'bytes' ? role : 'connect';
  const out = resolve(kind ?? `.profiles/${stack}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'server'), { recursive: true });
  mkdirSync(join(out, 'client'), { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const prof = (dir: string) => ['--import', 'tsx', '--cpu-prof', `--cpu-prof-dir=${join(out, dir)}`];
  const server = fork(self, ['server', stack], { execArgv: prof('server'), stdio: 'inherit' });
  const { port } = await new Promise<{ port: number }>((r) =>
    server.once('message', r as (m: unknown) => void),
  );
  const client = fork(self, ['client', stack, String(port)], { execArgv: prof('client'), stdio: 'inherit' });
  let sent = 0;
  client.on('message', (m) => {
    sent = (m as { sent: number }).sent;
  });
  await new Promise((r) => client.once('exit', r));
  server.disconnect();
  await new Promise((r) => server.once('exit', r));
  for (const side of ['server', 'client']) summarize(side, join(out, side), sent);
}

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

/** Groups self time of a .cpuprofile by package / area and lists the top functions. */
function summarize(side: string, dir: string, requests: number): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return;
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const idle = p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id);
  for (const id of idle) self.delete(id);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const area = (n: Node): string => {
    const { url, functionName } = n.callFrame;
    if (!url) return functionName.startsWith('(') ? functionName : `native ${functionName}`;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (m) return m[1]!;
    if (url.startsWith('node:internal/http2')) return 'node:http2';
    if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node:streams';
    if (url.startsWith('node:internal/modules')) return 'module loading (startup)';
    if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:');
    const w = /packages\/([^/]+)\//.exec(url);
    return w ? `@weft/${w[1]}` : 'benchmark';
  };
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const a = area(n);
    areas.set(a, (areas.get(a) ?? 0) + t);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${a}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  const isStartup = (a: string) =>
    /startup|source_map|bootstrap|cjs-module-lexer|pre_execution|^tsx$/.test(a);
  const startup = [...areas].filter(([a]) => isStartup(a)).reduce((sum, [, t]) => sum + t, 0);
  const work = total - startup;
  const perRequest = (t: number) => `${(t / requests).toFixed(0).padStart(5)} µs`;
  const pct = (t: number) => `${((100 * t) / work).toFixed(1).padStart(5)}%`;
  console.log(
    `\n${side}: ${perRequest(work).trim()} CPU per request (${requests} requests; idle, start-up excluded)`,
  );
  for (const [a, t] of [...areas]
    .filter(([a]) => !isStartup(a))
    .sort((x, y) => y[1] - x[1])
    .slice(0, 10)) {
    console.log(`  ${pct(t)} ${perRequest(t)}  ${a}`);
  }
  console.log('  top functions (self):');
  const top = [...fns].filter(([f]) => !isStartup(f.slice(f.indexOf(' ') + 1))).sort((x, y) => y[1] - x[1]);
  for (const [f, t] of top.slice(0, 10)) console.log(`  ${pct(t)} ${perRequest(t)}  ${f}`);
}
