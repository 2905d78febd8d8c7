// CPU profile of one gRPC hop under load: an echo server of `process_single_data` in a child
// process and a closed-loop client here (32 docs × 512-dim float32, concurrency 32), both run
// with `node --cpu-prof`. Prints, per side, where self time goes (grouped by package / Node
// internals) and the top functions.
// Run: npx tsx benchmarks/src/lean-profile.ts connect|lean|bytes [outDir]
// (`connect`: connect-node server + connect-node client, Weft's settings; `lean`: the lean layer,
// still decoding and encoding every message on both sides; `bytes`: the lean layer moving
// pre-encoded bytes, nothing decoded.)
import { fork } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createLeanClient, createWeftTransport, startGrpcServer, startLeanGrpcServer } from '@weft/core/grpc';
import { DataRequestProtoSchema, JinaSingleDataRequestRPC } from '@weft/proto';
import { fmt, runLoad } from './load.js';
import { makeRequest } from './payload.js';
import { summarize } from './profile-summary.js';

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
