// A separate process of many WebSocket clients: `node ws-swarm.mjs <url> <count>`. Opens every
// connection first, then each sends one request (json subprotocol) with its own doc id and waits
// for its answer. Prints one JSON line: { opened, answered, wrong, errors, openMs, answerMs }.
import WebSocket from 'ws';

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
const sockets = [];
const errors = [];
const t0 = performance.now();
const opened = await Promise.all(
  Array.from(
    { length: count },
    (_, i) =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, 'json');
        sockets[i] = ws;
        const timer = setTimeout(() => resolve(false), 60_000);
        ws.once('open', () => {
          clearTimeout(timer);
          resolve(true);
        });
        ws.once('error', (err) => {
          clearTimeout(timer);
          errors.push(`open ${i}: ${err.message}`);
          resolve(false);
        });
      }),
  ),
);
const openMs = performance.now() - t0;
const t1 = performance.now();
let wrong = 0;
const answered = await Promise.all(
  sockets.map(
    (ws, i) =>
      new Promise((resolve) => {
        if (!opened[i]) return resolve(false);
        const id = `ws-${i}`;
        const timer = setTimeout(() => {
          errors.push(`${id}: no answer in 60 s`);
          resolve(false);
        }, 60_000);
        let done = false;
        ws.once('message', (m) => {
          done = true;
          clearTimeout(timer);
          const j = JSON.parse(String(m));
          const ok = j.data?.[0]?.id === id && j.data[0].text === 'x;';
          if (!ok) wrong++;
          resolve(ok);
        });
        ws.once('close', (code) => {
          if (done) return;
          clearTimeout(timer);
          errors.push(`${id}: closed ${code} before the answer`);
          resolve(false);
        });
        ws.send(JSON.stringify({ data: [{ id, text: 'x' }] }));
      }),
  ),
);
const answerMs = performance.now() - t1;
await Promise.all(
  sockets.map(
    (ws) =>
      new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', resolve);
        ws.close(1000);
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 5000).unref();
      }),
  ),
);
console.log(
  JSON.stringify({
    opened: opened.filter(Boolean).length,
    answered: answered.filter(Boolean).length,
    wrong,
    errors: errors.slice(0, 10),
    openMs: Math.round(openMs),
    answerMs: Math.round(answerMs),
  }),
);
