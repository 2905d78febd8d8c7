// Server side of runtime-throughput.ts, run by plain node from the built packages (no tsx), as a
// deployed runtime runs: `node runtime-server.mjs echo|runtime`. Reports its port and RSS over IPC.
import { readFileSync } from 'node:fs';
import { startGrpcServer } from '@weft/core/grpc';
import { Executor, serveExecutor } from '@weft/executor-runtime';
import { JinaSingleDataRequestRPC } from '@weft/proto';

/** The no-op Executor; bound through usesRequests since plain node has no decorator syntax. */
class NoOp extends Executor {
  noop() {}
}

function rssBytes() {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

const role = process.argv[2];
let port;
if (role === 'echo') {
  const server = await startGrpcServer({
    routes: (router) => router.service(JinaSingleDataRequestRPC, { process_single_data: (req) => req }),
  });
  port = server.port;
} else if (role === 'runtime') {
  const worker = await serveExecutor({ uses: NoOp, name: 'noop', usesRequests: { '/default': 'noop' } });
  port = worker.port;
} else {
  throw new Error(`usage: node runtime-server.mjs echo|runtime (got ${role})`);
}
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m === 'rss') process.send({ rss: rssBytes() });
});
process.send({ port });
