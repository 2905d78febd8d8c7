import type { NormalizedDeployment } from './options.js';
import { graphDescription } from './topology.js';

const W = 190;
const H = 46;
const GAP_X = 70;
const GAP_Y = 30;

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A standalone SVG drawing of the Flow: columns by depth, gateway in and out, dashed floating edges. */
export function flowchartSvg(deployments: readonly NormalizedDeployment[]): string {
  const byName = new Map(deployments.map((d) => [d.name, d]));
  const depth = new Map<string, number>([['start-gateway', 0]]);
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const d = byName.get(name)!;
    const v = 1 + Math.max(...d.needs.map((n) => (n === 'gateway' ? 0 : depthOf(n))));
    depth.set(name, v);
    return v;
  };
  for (const d of deployments) depthOf(d.name);
  const last = Math.max(0, ...deployments.map((d) => depth.get(d.name)!)) + 1;
  depth.set('end-gateway', last);
  const columns: string[][] = Array.from({ length: last + 1 }, () => []);
  for (const [name, c] of depth) columns[c]!.push(name);
  const rows = Math.max(...columns.map((c) => c.length));
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) => {
    const offset = ((rows - col.length) * (H + GAP_Y)) / 2;
    col.forEach((name, r) => {
      pos.set(name, { x: 20 + c * (W + GAP_X), y: 20 + offset + r * (H + GAP_Y) });
    });
  });
  const width = 40 + (last + 1) * W + last * GAP_X;
  const height = 40 + rows * H + (rows - 1) * GAP_Y;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
  ];
  for (const [from, tos] of Object.entries(graphDescription(deployments))) {
    for (const to of tos) {
      const a = pos.get(from)!;
      const b = pos.get(to)!;
      const target = byName.get(to);
      const dash = target?.floating ? ' stroke-dasharray="6 4"' : '';
      out.push(
        `<line x1="${a.x + W}" y1="${a.y + H / 2}" x2="${b.x}" y2="${b.y + H / 2}" stroke="#555"${dash} marker-end="url(#arrow)"/>`,
      );
      if (target?.when) {
        out.push(
          `<text x="${(a.x + W + b.x) / 2}" y="${(a.y + b.y + H) / 2 - 6}" text-anchor="middle" font-size="10" fill="#a33">when ${esc(JSON.stringify(target.when))}</text>`,
        );
      }
    }
  }
  for (const [name, p] of pos) {
    const d = byName.get(name);
    const title = d ? name : 'gateway';
    const facts = d
      ? [
          d.replicas > 1 ? `${d.replicas} replicas` : '',
          d.shards > 1 ? `${d.shards} shards` : '',
          d.external ? 'external' : '',
          d.floating ? 'floating' : '',
        ]
          .filter(Boolean)
          .join(', ')
      : name === 'start-gateway'
        ? 'in'
        : 'out';
    const fill = d ? '#eef4ff' : '#f3f3f3';
    out.push(
      `<g><rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="${d ? 6 : 22}" fill="${fill}" stroke="#335"/>`,
      `<text x="${p.x + W / 2}" y="${p.y + 19}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
      `<text x="${p.x + W / 2}" y="${p.y + 36}" text-anchor="middle" font-size="11" fill="#555">${esc(facts)}</text></g>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
