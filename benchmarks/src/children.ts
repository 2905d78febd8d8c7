// The child processes of a benchmark: scripts next to this file, forked with the benchmark's own
// Node flags (tsx included), each killed when the benchmark exits.
import { type ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Forks `script` (relative to this folder); resolves with the child and its first IPC message, rejects if it exits first. */
export async function forkScript<T = unknown>(
  script: string,
  args: string[],
): Promise<{ child: ChildProcess; msg: T }> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), args, { stdio: 'inherit' });
  children.push(child);
  const msg = await new Promise<T>((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`${script} ${args[0] ?? ''} exited with ${code}`)));
  });
  return { child, msg };
}

/** Stops every child forked so far (SIGTERM: they close their servers). */
export function stopChildren(): void {
  for (const c of children) c.kill('SIGTERM');
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
