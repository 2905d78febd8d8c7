import { describe, expect, it } from 'vitest';
import { Flow, TopologyError } from './index.js';
import { WhoAmI } from './test-fixtures/executors.js';

describe('Flow topology', () => {
  it('names the culprit of every build-time topology error', () => {
    expect(() => new Flow().add({ uses: WhoAmI, name: 'a' }).add({ uses: WhoAmI, name: 'a' })).toThrow(
      /deployment name 'a' is already taken/,
    );
    expect(() => new Flow().add({ uses: WhoAmI, name: 'a', needs: 'a' })).toThrow(/'a'.*cannot need itself/);
    const unknown = new Flow().add({ uses: WhoAmI, name: 'a', needs: 'ghost' });
    expect(() => unknown.validate()).toThrow(TopologyError);
    expect(() => unknown.validate()).toThrow(/deployment 'a' needs 'ghost', which is not a deployment/);
    const cyclic = new Flow()
      .add({ uses: WhoAmI, name: 'a', needs: ['gateway', 'c'] })
      .add({ uses: WhoAmI, name: 'b', needs: 'a' })
      .add({ uses: WhoAmI, name: 'c', needs: 'b' });
    expect(() => cyclic.validate()).toThrow(/cycle: a → c → b → a/);
    expect(() => cyclic.plot()).toThrow(TopologyError);
    expect(() => new Flow().add({ uses: WhoAmI, replicas: 0 })).toThrow(
      /replicas must be a whole number ≥ 1, got 0/,
    );
    expect(() => new Flow().add({ uses: WhoAmI, name: 'gateway' })).toThrow(/not 'gateway'/);
    expect(() => new Flow().add({ uses: WhoAmI, polling: 'SOME' as never })).toThrow(/polling must be/);
    expect(() => new Flow().add({ name: 'x' })).toThrow(/uses is missing/);
    expect(() => new Flow().add({ name: 'x', external: true })).toThrow(/external deployment needs a port/);
    expect(() => new Flow().add({ uses: WhoAmI, host: '10.0.0.1' })).toThrow(
      /only makes sense with external/,
    );
    expect(() => new Flow({ port: 70000 })).toThrow(/port 70000 is not valid/);
    expect(() => new Flow({ protocol: 'smtp' as never })).toThrow(/protocol 'smtp' is not supported/);
    expect(() => new Flow({ protocol: 'grpc', port: [1234, 1235] })).toThrow(/2 ports for 1 protocol/);
  });

  it('chains, branches from the gateway, joins, skips floating deployments in the chain, and joins open branches with needsAll', () => {
    const f = new Flow()
      .add({ uses: WhoAmI, name: 'a' })
      .add({ uses: WhoAmI, name: 'log', floating: true })
      .add({ uses: WhoAmI, name: 'b' })
      .add({ uses: WhoAmI, name: 'c', needs: 'gateway' })
      .needsAll({ name: 'join' });
    expect(f.graphDescription()).toEqual({
      'start-gateway': ['a', 'c'],
      a: ['log', 'b'],
      log: [],
      b: ['join'],
      c: ['join'],
      join: ['end-gateway'],
    });
    expect(f.spec.deployments.find((d) => d.name === 'join')!.needs).toEqual(['b', 'c']);
  });

  it('plots the topology as a Mermaid flowchart with replicas, shards, conditions and floating edges', () => {
    const f = new Flow()
      .add({ uses: WhoAmI, name: 'enc', replicas: 2 })
      .add({ uses: WhoAmI, name: 'idx', shards: 3, polling: 'ALL' })
      .add({ uses: WhoAmI, name: 'audit', needs: 'enc', floating: true, when: { tags__kind: { $eq: 'a' } } });
    expect(f.plot()).toBe(
      [
        'flowchart LR',
        '  gateway_in(["gateway"])',
        '  gateway_out(["gateway"])',
        '  d_enc["enc<br/><small>WhoAmI, 2 replicas</small>"]',
        '  d_idx["idx<br/><small>WhoAmI, 3 shards, ALL polling</small>"]',
        '  d_audit["audit<br/><small>WhoAmI, floating</small>"]',
        '  gateway_in --> d_enc',
        '  d_enc --> d_idx',
        '  d_enc -.->|"when {#quot;tags__kind#quot;:{#quot;$eq#quot;:#quot;a#quot;}}"| d_audit',
        '  d_idx --> gateway_out',
        '',
      ].join('\n'),
    );
  });
});
