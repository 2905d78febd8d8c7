// Bundled for the browser by the browser test: posts from a web page over HTTP and WebSocket with
// the client's browser build and shows the result in #result (also over gRPC-web).
import { Client, TransportError } from '@weft/client';

// (typed loosely: the package compiles without the DOM library)
const page = globalThis as unknown as {
  location: { search: string };
  document: { getElementById(id: string): { textContent: string } };
};
const params = new URLSearchParams(page.location.search);
const show = (text: string) => {
  page.document.getElementById('result').textContent = text;
};

async function run() {
  const out: Record<string, unknown> = {};
  for (const protocol of ['http', 'websocket', 'grpc-web'] as const) {
    const c = new Client({ host: '127.0.0.1', port: Number(params.get(protocol)), protocol });
    const r = await c.post('/', [{ text: 'from the browser' }, { text: 'again' }], {
      requestSize: 1,
      resultsInOrder: true,
    });
    out[protocol] = r.texts;
    out[`${protocol}Ready`] = await c.isFlowReady();
    const err = (await c.post('/fail', [{ text: 'x' }]).catch((e: Error) => e)) as Error & {
      executor?: string;
    };
    out[`${protocol}Error`] = `${err.name}: ${err.executor}`;
    c.close();
  }
  out.grpc = await new Client({ port: 1, protocol: 'grpc' }).post('/', []).then(
    () => 'no error',
    (err: Error) => err.message,
  );
  out.transportErrorClass = typeof TransportError;
  show(JSON.stringify(out));
}
run().catch((e: Error) => show(`FAILED ${e.name}: ${e.message}`));
