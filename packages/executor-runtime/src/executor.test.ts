import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document, DocumentArray } from '@weft/docarray';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENDPOINT,
  Executor,
  ExecutorDefinitionError,
  batchingOf,
  bindingsOf,
  constructExecutor,
  definingModuleOf,
  dynamicBatching,
  isStreamingMethod,
  requests,
} from './index.js';

describe('@requests', () => {
  it('binds named endpoints and the default handler', () => {
    class E extends Executor {
      @requests({ on: ['/index', '/update'] })
      index(_docs: DocumentArray) {}
      @requests({ on: '/search' })
      search(_docs: DocumentArray) {}
      @requests()
      other(_docs: DocumentArray) {}
    }
    const b = bindingsOf(E);
    expect([...b.entries()]).toEqual([
      ['/index', 'index'],
      ['/update', 'index'],
      ['/search', 'search'],
      [DEFAULT_ENDPOINT, 'other'],
    ]);
  });

  it('rejects a second default handler when the class is defined', () => {
    expect(() => {
      class E extends Executor {
        @requests()
        a(_docs: DocumentArray) {}
        @requests()
        b(_docs: DocumentArray) {}
      }
      return E;
    }).toThrow(ExecutorDefinitionError);
  });

  it('rejects a duplicate endpoint, naming both methods', () => {
    expect(() => {
      class E extends Executor {
        @requests({ on: '/x' })
        a(_docs: DocumentArray) {}
        @requests({ on: '/x' })
        b(_docs: DocumentArray) {}
      }
      return E;
    }).toThrow(/endpoint '\/x' is bound twice: by a and b/);
  });

  it('rejects an empty endpoint name', () => {
    expect(() => requests({ on: '' })).toThrow(/non-empty string/);
  });

  it('inherits bindings and lets a subclass override them', () => {
    class Base extends Executor {
      @requests({ on: '/a' })
      a(_docs: DocumentArray) {}
    }
    class Child extends Base {
      @requests({ on: '/a' })
      a2(_docs: DocumentArray) {}
      @requests({ on: '/b' })
      b(_docs: DocumentArray) {}
    }
    expect(Object.fromEntries(bindingsOf(Child))).toEqual({ '/a': 'a2', '/b': 'b' });
    expect(Object.fromEntries(bindingsOf(Base))).toEqual({ '/a': 'a' });
  });

  it('records the module that defines the class', () => {
    class E extends Executor {
      @requests()
      a(_docs: DocumentArray) {}
    }
    expect(definingModuleOf(E)).toMatch(/executor\.test\.ts$/);
  });
});

describe('definingModuleOf', () => {
  it('does not report a base class module for an undecorated subclass', () => {
    class Base extends Executor {
      @requests()
      a(_docs: DocumentArray) {}
    }
    class Sub extends Base {}
    expect(definingModuleOf(Base)).toBeDefined();
    expect(definingModuleOf(Sub)).toBeUndefined();
  });
});

describe('streaming and batching definitions', () => {
  it('marks an async generator over doc as streaming', () => {
    class S extends Executor {
      @requests({ on: '/s' })
      async *s(doc: Document) {
        yield doc;
      }
    }
    expect(isStreamingMethod(S.prototype.s)).toBe(true);
    expect(bindingsOf(S).get('/s')).toBe('s');
  });

  it('rejects a generator over docs when the class is defined', () => {
    expect(() => {
      class S extends Executor {
        @requests({ on: '/s' })
        async *s(docs: Document) {
          yield docs;
        }
      }
      return S;
    }).toThrow(/streaming method s is an async generator over 'docs'.*takes one document/);
  });

  it('records @dynamicBatching per method and validates its options', () => {
    class B extends Executor {
      @requests({ on: ['/x', '/y'] })
      @dynamicBatching({ preferredBatchSize: 4 })
      x(_docs: DocumentArray) {}
    }
    expect(batchingOf(B).get('x')).toEqual({ preferredBatchSize: 4, timeoutMs: 10_000 });
    expect(() => dynamicBatching({ preferredBatchSize: 0 })).toThrow(
      /preferredBatchSize must be a positive integer/,
    );
    expect(() => dynamicBatching({ preferredBatchSize: 2, timeoutMs: -1 })).toThrow(/timeoutMs must be/);
  });

  it('rejects @dynamicBatching on a streaming method', () => {
    expect(() => {
      class S extends Executor {
        @dynamicBatching({ preferredBatchSize: 2 })
        async *s(doc: Document) {
          yield doc;
        }
      }
      return S;
    }).toThrow(/cannot apply to streaming method s/);
  });
});

describe('Executor', () => {
  it('creates its workspace <workspace>/<name>/<shard id>/ on first access', () => {
    const root = mkdtempSync(join(tmpdir(), 'weft-exec-'));
    try {
      const e = constructExecutor(
        Executor,
        {},
        { metas: { name: 'enc' }, runtimeArgs: { workspace: root, shardId: 3 } },
      );
      const dir = join(root, 'enc', '3');
      expect(existsSync(dir)).toBe(false);
      expect(e.workspace).toBe(dir);
      expect(existsSync(dir)).toBe(true);
      expect(constructExecutor(Executor).workspace).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
