import { SingleBar } from 'cli-progress';
import type { ProgressSink } from './client-base.js';

/**
 * A cli-progress bar on stderr showing documents done, docs/s and (when the total is known) the
 * ETA. Nothing is drawn when stderr is not a TTY.
 */
export function createProgress(
  total: number | undefined,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressSink | undefined {
  if (!stream.isTTY) return undefined;
  const known = total !== undefined && total > 0;
  const bar = new SingleBar({
    stream,
    format: known
      ? 'weft |{bar}| {value}/{total} docs | {rate} docs/s | ETA {eta_formatted}'
      : 'weft | {value} docs | {rate} docs/s',
    hideCursor: true,
    etaBuffer: 50,
    fps: 5,
  });
  const started = Date.now();
  let done = 0;
  bar.start(known ? total : 0, 0, { rate: '0' });
  bar.render?.();
  return {
    update(docs: number) {
      done += docs;
      const secs = (Date.now() - started) / 1000;
      bar.update(done, { rate: secs > 0 ? Math.round(done / secs).toString() : '0' });
    },
    stop() {
      bar.stop();
    },
  };
}
