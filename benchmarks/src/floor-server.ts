// A floor server in its own process. Usage: tsx floor-server.ts echo|decode|forward [nextPort]
// Prints nothing; sends its port to the parent over IPC.
import { decodeEncode, echo, forwardTo, startFloorServer } from './h2-floor.js';

const [kind, next] = process.argv.slice(2);
const handler = kind === 'forward' ? forwardTo(Number(next)) : kind === 'decode' ? decodeEncode : echo;
const { port } = await startFloorServer(handler);
process.send?.({ port });
process.on('disconnect', () => process.exit(0));
