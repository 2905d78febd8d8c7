// Summarizes a directory of V8 .cpuprofile files: self time grouped by package / Node internals
// (idle and start-up excluded), per request, and the top functions.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

/** Groups self time of one .cpuprofile file by package / area and prints it with the top functions. */
export function summarizeFile(side: string, path: string, requests: number): void {
  const p = JSON.parse(readFileSync(path, 'utf8')) as {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const idle = p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id);
  for (const id of idle) self.delete(id);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const area = (n: Node): string => {
    const { url, functionName } = n.callFrame;
    if (!url) return functionName.startsWith('(') ? functionName : `native ${functionName}`;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (m) return m[1]!;
    if (url.startsWith('node:internal/http2')) return 'node:http2';
    if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node:streams';
    if (url.startsWith('node:internal/modules')) return 'module loading (startup)';
    if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:');
    const w = /packages\/([^/]+)\//.exec(url);
    return w ? `@weft/${w[1]}` : 'benchmark';
  };
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const a = area(n);
    areas.set(a, (areas.get(a) ?? 0) + t);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${a}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  const isStartup = (a: string) =>
    /startup|source_map|bootstrap|cjs-module-lexer|pre_execution|^tsx$/.test(a);
  const startup = [...areas].filter(([a]) => isStartup(a)).reduce((sum, [, t]) => sum + t, 0);
  const work = total - startup;
  const perRequest = (t: number) => `${(t / requests).toFixed(0).padStart(5)} µs`;
  const pct = (t: number) => `${((100 * t) / work).toFixed(1).padStart(5)}%`;
  console.log(
    `\n${side}: ${perRequest(work).trim()} CPU per request (${requests} requests; idle, start-up excluded)`,
  );
  for (const [a, t] of [...areas]
    .filter(([a]) => !isStartup(a))
    .sort((x, y) => y[1] - x[1])
    .slice(0, 10)) {
    console.log(`  ${pct(t)} ${perRequest(t)}  ${a}`);
  }
  console.log('  top functions (self):');
  const top = [...fns].filter(([f]) => !isStartup(f.slice(f.indexOf(' ') + 1))).sort((x, y) => y[1] - x[1]);
  for (const [f, t] of top.slice(0, 10)) console.log(`  ${pct(t)} ${perRequest(t)}  ${f}`);
}

/** Summarizes the first .cpuprofile in `dir` (see {@link summarizeFile}). */
export function summarize(side: string, dir: string, requests: number): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file) summarizeFile(side, join(dir, file), requests);
}
