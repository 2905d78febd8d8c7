// A gateway with every door in its own process, for the fuzz case: `gateway-process.ts <executor port> <bodyLimit>`.
// Reports its ports over IPC; answers 'gc' with its memory after two full collections (run with --expose-gc).
import { startGateway } from '@weft/gateway';
import pino from 'pino';

const [executorPort = '0', bodyLimit = '65536'] = process.argv.slice(2);
const gw = await startGateway({
  graph: { 'start-gateway': ['t'], t: ['end-gateway'] },
  addresses: { t: [`127.0.0.1:${executorPort}`] },
  protocol: ['grpc', 'http', 'websocket'],
  bodyLimit: Number(bodyLimit),
  logger: pino({ level: 'silent' }),
});
process.on('message', async (m) => {
  if (m !== 'gc') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  // Several full collections with pauses between them: buffers of closed HTTP/2 streams are
  // released by callbacks that run after a collection.
  for (let i = 0; i < 5; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  process.send?.({ memory: process.memoryUsage() });
});
process.on('disconnect', () => void gw.close(1000).then(() => process.exit(0)));
process.send?.({ ports: gw.ports });
