// Run as a child process (plain node, the built package): posts `count` small documents from an
// async generator to the gateway at argv[2] and prints {docs, requests, peakRssMb, seconds} as JSON.
import { Client } from '@weft/client';

const [port, count] = [Number(process.argv[2]), Number(process.argv[3])];
const debug = process.env.WEFT_RSS_DEBUG === '1';
let peak = process.memoryUsage.rss();
const timer = setInterval(() => {
  const m = process.memoryUsage();
  peak = Math.max(peak, m.rss);
  if (debug)
    process.stderr.write(
      `rss ${m.rss >> 20} heap ${m.heapUsed >> 20}/${m.heapTotal >> 20} ab ${m.arrayBuffers >> 20}\n`,
    );
}, 100);
async function* docs() {
  for (let i = 0; i < count; i++) yield { text: `doc ${i}` };
}
const client = new Client({ port });
const t0 = Date.now();
let n = 0;
let requests = 0;
await client.post('/', docs, {
  requestSize: 100,
  onDone: (r) => {
    n += r.docs.length;
    requests++;
  },
});
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage.rss());
client.close();
const seconds = (Date.now() - t0) / 1000;
process.stdout.write(
  `${JSON.stringify({ docs: n, requests, peakRssMb: Math.round(peak / 2 ** 20), seconds })}\n`,
);
