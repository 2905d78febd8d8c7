import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

function fakeTty() {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  Object.assign(s, {
    isTTY: true,
    columns: 120,
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
  });
  let text = '';
  s.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { s, text: () => text };
}

describe('showProgress', () => {
  it('draws docs done, docs/s and the ETA on a TTY when the total is known', async () => {
    const tty = fakeTty();
    const p = createProgress(1000, tty.s)!;
    p.update(250);
    await new Promise((r) => setTimeout(r, 250));
    p.update(250);
    p.stop();
    expect(tty.text()).toMatch(/500\/1000 docs \| \d+ docs\/s \| ETA/);
  });

  it('shows a count without ETA when the total is unknown, and nothing when not a TTY', async () => {
    const tty = fakeTty();
    const p = createProgress(undefined, tty.s)!;
    p.update(42);
    p.stop();
    expect(tty.text()).toMatch(/42 docs \| \d+ docs\/s/);
    expect(tty.text()).not.toMatch(/ETA/);
    expect(createProgress(10, new PassThrough() as unknown as NodeJS.WriteStream)).toBeUndefined();
  });
});
