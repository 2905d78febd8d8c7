// Baseline child of the orchestrator benchmark: import the runtime package, listen on a port, say so.
import { createServer } from 'node:net';
await import('@weft/executor-runtime');
const server = createServer().listen(0, '127.0.0.1', () =>
  process.send?.({ type: 'ready', port: server.address().port }),
);
process.on('disconnect', () => process.exit(0));
