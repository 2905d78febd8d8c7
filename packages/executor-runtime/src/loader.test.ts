import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Executor, loadExecutorClass } from './index.js';
import { Kitchen, Plain } from './test-fixtures/executors.js';

const baseDir = fileURLToPath(new URL('./test-fixtures/', import.meta.url));

describe('loadExecutorClass', () => {
  it('takes a class as it is', async () => {
    const l = await loadExecutorClass(Kitchen);
    expect(l.cls).toBe(Kitchen);
    expect(l.source).toBe('class Kitchen');
  });

  it('loads ./file.ts#Export relative to baseDir, and a file URL', async () => {
    const l = await loadExecutorClass('./executors.ts#Plain', { baseDir });
    expect(l.cls.name).toBe('Plain');
    const u = await loadExecutorClass(
      `${new URL('./test-fixtures/executors.ts', import.meta.url).href}#Kitchen`,
    );
    expect(u.cls.name).toBe('Kitchen');
  });

  it('names what a module exports when the export is missing or not an Executor', async () => {
    await expect(loadExecutorClass('./executors.ts#Nope', { baseDir })).rejects.toThrow(
      /has no export 'Nope'.*Executors exported there: Kitchen, Batched, Plain, Fragile, SlowStart, BrokenStart, NoBinding/,
    );
    await expect(loadExecutorClass('./executors.ts#notAnExecutor', { baseDir })).rejects.toThrow(
      /'notAnExecutor' is exported but is not an Executor subclass/,
    );
    await expect(loadExecutorClass('./executors.ts', { baseDir })).rejects.toThrow(
      /name the Executor to serve as '.\/executors.ts#Name'/,
    );
  });

  it('says when a module or YAML file does not exist', async () => {
    await expect(loadExecutorClass('./missing.ts#X', { baseDir })).rejects.toThrow(
      /missing\.ts does not exist/,
    );
    await expect(loadExecutorClass('missing.yml', { baseDir })).rejects.toThrow(
      /YAML file .*missing\.yml does not exist/,
    );
  });

  it('reads an Executor YAML file: jtype, with, metas, requests, dynamic_batching', async () => {
    const l = await loadExecutorClass('plain.yml', { baseDir });
    expect(l.cls).toBe(Plain);
    expect(l.with).toEqual({ suffix: '+yaml' });
    expect(l.metas).toEqual({ name: 'plain-yaml', description: 'configured from YAML' });
    expect(l.requests).toEqual({ '/rebound': 'work', '/other': 'other' });
    expect(l.dynamicBatching).toEqual({ '/rebound': { preferredBatchSize: 6, timeoutMs: 300 } });
  });

  it('resolves jtype by class name through metas.py_modules, or the classes option', async () => {
    expect((await loadExecutorClass('py-modules.yml', { baseDir })).cls).toBe(Plain);
    const inline = await loadExecutorClass('jtype: Kitchen\nwith:\n  greeting: yo\n', {
      classes: { Kitchen },
    });
    expect(inline.cls).toBe(Kitchen);
    expect(inline.with).toEqual({ greeting: 'yo' });
    await expect(loadExecutorClass('jtype: Unknown', { classes: { Kitchen } })).rejects.toThrow(
      /jtype 'Unknown' is not an Executor found.*Known Executors: Kitchen/,
    );
  });

  it('rejects bad YAML with what was wrong', async () => {
    await expect(loadExecutorClass('jtype: [unclosed\n')).rejects.toThrow(/inline YAML: not valid YAML/);
    await expect(loadExecutorClass('jtype: X\nwhith: {}\n')).rejects.toThrow(/unknown key\(s\) whith/);
    await expect(loadExecutorClass('jtype: X\nwith: 3\n')).rejects.toThrow(/'with' must be a mapping/);
    await expect(
      loadExecutorClass('jtype: Kitchen\ndynamic_batching:\n  /x: {size: 3}\n', { classes: { Kitchen } }),
    ).rejects.toThrow(/unknown key\(s\) size; use preferred_batch_size and timeout/);
    await expect(loadExecutorClass('  ')).rejects.toThrow(/uses must be an Executor class/);
  });

  it('accepts the base Executor class', async () => {
    expect((await loadExecutorClass(Executor)).cls).toBe(Executor);
  });
});
