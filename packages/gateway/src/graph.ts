/** Jina's graph description: node → the nodes it feeds; starts at `start-gateway`, ends at `end-gateway`. */
export type GraphDescription = Record<string, readonly string[]>;

/** The graph node every request starts from. */
export const START = 'start-gateway';
/** The graph node whose incoming parts make the response. */
export const END = 'end-gateway';

/** A deployment node of the Flow DAG. */
export interface GraphNode {
  name: string;
  /** Upstream nodes (`start-gateway` for the first ones). */
  needs: string[];
  /** Downstream nodes (`end-gateway` for the last ones). */
  next: string[];
}

/** Error for a graph description that is not a valid DAG from start-gateway to end-gateway. */
export class GraphError extends Error {
  override name = 'GraphError';
}

/** Validates a graph description and returns its nodes in topological order. */
export function parseGraph(graph: GraphDescription): GraphNode[] {
  if (!graph[START]) throw new GraphError(`graph description has no '${START}' entry`);
  const nodes = new Map<string, GraphNode>();
  const node = (name: string) => {
    let n = nodes.get(name);
    if (!n) {
      n = { name, needs: [], next: [] };
      nodes.set(name, n);
    }
    return n;
  };
  for (const [from, tos] of Object.entries(graph)) {
    if (from === END) throw new GraphError(`'${END}' cannot feed other nodes`);
    for (const to of tos) {
      if (to === START) throw new GraphError(`'${from}' cannot feed '${START}'`);
      if (to === from) throw new GraphError(`'${from}' needs itself`);
      if (from !== START) node(from).next.push(to);
      if (to !== END) node(to).needs.push(from);
    }
  }
  // Kahn's algorithm for order and cycle detection.
  const order: GraphNode[] = [];
  const indeg = new Map([...nodes.values()].map((n) => [n.name, n.needs.filter((x) => x !== START).length]));
  const ready = [...nodes.values()].filter((n) => indeg.get(n.name) === 0);
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    for (const m of n.next) {
      if (m === END) continue;
      indeg.set(m, indeg.get(m)! - 1);
      if (indeg.get(m) === 0) ready.push(nodes.get(m)!);
    }
  }
  if (order.length !== nodes.size) {
    const stuck = [...nodes.keys()].filter((k) => !order.some((o) => o.name === k));
    throw new GraphError(`graph description has a cycle through ${stuck.join(', ')}`);
  }
  return order;
}
