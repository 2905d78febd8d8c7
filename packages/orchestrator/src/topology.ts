import { ConfigError } from '@weft/core';
import type { NormalizedDeployment } from './options.js';

/** Error for a Flow whose deployments do not form a valid DAG; names the culprit. */
export class TopologyError extends ConfigError {
  override name = 'TopologyError';
}

/** Checks needs and cycles; throws a {@link TopologyError} naming the culprit. */
export function validateTopology(deployments: readonly NormalizedDeployment[]): void {
  const byName = new Map(deployments.map((d) => [d.name, d]));
  for (const d of deployments) {
    for (const n of d.needs) {
      if (n === d.name)
        throw new TopologyError(`deployment '${d.name}' needs itself; a deployment cannot need itself`);
      if (n !== 'gateway' && !byName.has(n)) {
        const known = [...byName.keys()].join(', ') || 'none';
        throw new TopologyError(
          `deployment '${d.name}' needs '${n}', which is not a deployment of this Flow (deployments: ${known}; or 'gateway')`,
        );
      }
    }
  }
  // Depth-first search for a cycle, reporting its path.
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new TopologyError(`the Flow has a cycle: ${cycle.join(' → ')}; remove one of these needs`);
    }
    state.set(name, 'open');
    path.push(name);
    for (const n of byName.get(name)!.needs) if (n !== 'gateway') visit(n);
    path.pop();
    state.set(name, 'done');
  };
  for (const d of deployments) visit(d.name);
}

/** Jina's graph description: `start-gateway` → deployments → `end-gateway`; floating ones lead nowhere. */
export function graphDescription(deployments: readonly NormalizedDeployment[]): Record<string, string[]> {
  const graph: Record<string, string[]> = { 'start-gateway': [] };
  // A deployment feeds the response unless a non-floating deployment takes its output further.
  const needed = new Set<string>();
  for (const d of deployments) {
    graph[d.name] ??= [];
    for (const n of d.needs) {
      if (!d.floating) needed.add(n);
      const from = n === 'gateway' ? 'start-gateway' : n;
      graph[from] ??= [];
      graph[from].push(d.name);
    }
  }
  for (const d of deployments) if (!needed.has(d.name) && !d.floating) graph[d.name]!.push('end-gateway');
  return graph;
}

/** Names of the open branches: non-floating deployments nothing needs yet. */
export function openBranches(deployments: readonly NormalizedDeployment[]): string[] {
  const needed = new Set(deployments.filter((d) => !d.floating).flatMap((d) => d.needs));
  return deployments.filter((d) => !d.floating && !needed.has(d.name)).map((d) => d.name);
}

function usesLabel(d: NormalizedDeployment): string {
  if (d.external) return 'external';
  const u = d.uses;
  if (typeof u === 'function') return u.name;
  if (typeof u === 'string')
    return u.includes('#') ? u.slice(u.lastIndexOf('#') + 1) : (u.split('/').pop() ?? u);
  return '';
}

const id = (name: string) => `d_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
const quote = (text: string) => text.replace(/"/g, '#quot;');

/** A Mermaid flowchart of the Flow: gateway in and out, deployments with replicas/shards, `when` and floating edges. */
export function mermaid(deployments: readonly NormalizedDeployment[]): string {
  const lines = ['flowchart LR', '  gateway_in(["gateway"])', '  gateway_out(["gateway"])'];
  for (const d of deployments) {
    const facts = [usesLabel(d)];
    if (d.replicas > 1) facts.push(`${d.replicas} replicas`);
    if (d.shards > 1)
      facts.push(`${d.shards} shards, ${typeof d.polling === 'string' ? d.polling : 'per-endpoint'} polling`);
    if (d.floating) facts.push('floating');
    if (d.noReduce) facts.push('no reduce');
    const label = `${d.name}<br/><small>${facts.filter(Boolean).join(', ')}</small>`;
    lines.push(`  ${id(d.name)}[${d.external ? '/' : ''}"${quote(label)}"${d.external ? '/' : ''}]`);
  }
  const graph = graphDescription(deployments);
  const byName = new Map(deployments.map((d) => [d.name, d]));
  for (const [from, tos] of Object.entries(graph)) {
    for (const to of tos) {
      const a = from === 'start-gateway' ? 'gateway_in' : id(from);
      const b = to === 'end-gateway' ? 'gateway_out' : id(to);
      const target = byName.get(to);
      const when = target?.when ? `|"${quote(`when ${JSON.stringify(target.when)}`)}"|` : '';
      lines.push(`  ${a} ${target?.floating ? '-.->' : '-->'}${when} ${b}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
