import type { DocumentArray } from '@weft/docarray';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENDPOINT,
  Executor,
  ExecutorDefinitionError,
  bindingsOf,
  definingModuleOf,
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
