// Run as a child process: starts a real Flow (a gateway process plus one process per replica) of
// Upper (2 replicas) → Bang, prints its gateway port, and closes it on SIGTERM or when stdin ends.
// @weft/orchestrator is imported by a computed name: it already depends on @weft/client for its
// own tests, and a static import here would make the two packages a build cycle.
const orchestrator = ['@weft', 'orchestrator'].join('/');
const { Flow } = (await import(orchestrator)) as {
  Flow: new (
    o: object,
  ) => {
    add(o: object): unknown;
    start(): Promise<void>;
    close(): Promise<void>;
    port: number | undefined;
  };
};
const flow = new Flow({ baseDir: import.meta.dirname });
flow.add({ uses: './flow.ts#Upper', name: 'upper', replicas: 2 });
flow.add({ uses: './flow.ts#Bang', name: 'bang' });
await flow.start();
process.stdout.write(`${flow.port}\n`);
let closing = false;
const stop = async () => {
  if (closing) return;
  closing = true;
  await flow.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
