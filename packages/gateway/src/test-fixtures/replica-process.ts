// A replica runtime in its own process, for tests that kill it: `replica-process.ts <name> <port>`.
import { serveExecutor } from '@weft/executor-runtime';
import { appender } from './harness.js';

const [name = 'r', port = '0'] = process.argv.slice(2);
const worker = await serveExecutor({ uses: appender('R'), name: 'r', runtimeName: name, port: Number(port) });
process.send?.({ ready: worker.port });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => void worker.close(1000).then(() => process.exit(0)));
