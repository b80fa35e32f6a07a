// The member network's layout, computed here rather than by ECharts' force layout (which starts
// from random positions: the graph moved on every reload). Deterministic: the same members and
// links give the same picture. Fruchterman-Reingold in the chart's own pixels, from positions on
// a spiral, kept inside the box (so no node or label is cut at its edges) and with no two
// nodes overlapping (a labelled node keeps room for its label below it).

export interface LayoutNode {
  id: string;
  /** The node's radius in pixels. */
  radius: number;
  /** Whether its label is always shown (it then needs room below it). */
  labelled: boolean;
}

export interface LayoutEdge {
  source: string;
  target: string;
}

export interface Point {
  x: number;
  y: number;
}

/** Label room below a labelled node, and half a label's width ("0x14dC…9955"), in pixels. */
const LABEL_ROOM = 14;
const LABEL_HALF_WIDTH = 38;

/** Positions for `nodes`, within a `width` × `height` box. */
export function layoutNetwork(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  width: number,
  height: number,
): Map<string, Point> {
  const count = nodes.length;
  const index = new Map(nodes.map((node, i) => [node.id, i]));
  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  const radius = Float64Array.from(nodes, (node) => node.radius);
  const below = Float64Array.from(nodes, (node) => (node.labelled ? LABEL_ROOM : 0));
  // the room a node keeps around it: a labelled node, its label's too (see `separate`)
  const room = Float64Array.from(nodes, (node) =>
    node.labelled ? Math.max(node.radius + LABEL_ROOM / 2, LABEL_HALF_WIDTH) : node.radius,
  );
  // a sunflower spiral over the box: evenly spread, the same every time, larger nodes inside
  const order = nodes.map((node, i) => ({ i, radius: node.radius, id: node.id }));
  order.sort((a, b) => b.radius - a.radius || (a.id < b.id ? -1 : 1));
  order.forEach(({ i }, rank) => {
    const r = 0.9 * Math.sqrt((rank + 0.5) / Math.max(1, count));
    const angle = rank * 2.399963229728653;
    xs[i] = width / 2 + (width / 2) * r * Math.cos(angle);
    ys[i] = height / 2 + (height / 2) * r * Math.sin(angle);
  });
  // one spring per pair of members, however many links join them (sponsorship, relations)
  const pairs = new Set<string>();
  const links: [number, number][] = [];
  for (const edge of edges) {
    const a = index.get(edge.source);
    const b = index.get(edge.target);
    if (a === undefined || b === undefined || a === b) continue;
    const key = a < b ? a + ":" + b : b + ":" + a;
    if (pairs.has(key)) continue;
    pairs.add(key);
    links.push([a, b]);
  }
  // a dense network would collapse into a ball: springs weaken as the mean degree grows
  const springs = Math.min(1, 3 / Math.max(1, (2 * links.length) / Math.max(1, count)));
  const k = 0.75 * Math.sqrt((width * height) / Math.max(1, count));
  const dx = new Float64Array(count);
  const dy = new Float64Array(count);
  const iterations = 300;
  let temperature = Math.min(width, height) / 8;
  for (let step = 0; step < iterations; step++) {
    dx.fill(0);
    dy.fill(0);
    for (let a = 0; a < count; a++) {
      for (let b = a + 1; b < count; b++) {
        let vx = xs[a]! - xs[b]!;
        let vy = ys[a]! - ys[b]!;
        let d2 = vx * vx + vy * vy;
        if (d2 < 1e-6) {
          vx = 0.01 * (a - b);
          vy = 0.01;
          d2 = vx * vx + vy * vy;
        }
        const force = (k * k) / d2;
        dx[a]! += vx * force;
        dy[a]! += vy * force;
        dx[b]! -= vx * force;
        dy[b]! -= vy * force;
      }
    }
    for (const [a, b] of links) {
      const vx = xs[a]! - xs[b]!;
      const vy = ys[a]! - ys[b]!;
      const d = Math.sqrt(vx * vx + vy * vy) || 1e-3;
      const force = (springs * d) / k;
      dx[a]! -= vx * force;
      dy[a]! -= vy * force;
      dx[b]! += vx * force;
      dy[b]! += vy * force;
    }
    for (let i = 0; i < count; i++) {
      // a little gravity keeps the members without links near the others
      dx[i]! -= 0.08 * (xs[i]! - width / 2);
      dy[i]! -= 0.08 * (ys[i]! - height / 2);
      const length = Math.sqrt(dx[i]! * dx[i]! + dy[i]! * dy[i]!) || 1;
      const move = Math.min(length, temperature);
      xs[i]! += (dx[i]! / length) * move;
      ys[i]! += (dy[i]! / length) * move;
    }
    separate(xs, ys, room, below);
    clamp(xs, ys, radius, below, width, height);
    temperature = Math.max(0.5, temperature * 0.985);
  }
  const positions = new Map<string, Point>();
  nodes.forEach((node, i) => positions.set(node.id, { x: xs[i]!, y: ys[i]! }));
  return positions;
}

/** Push apart any two nodes closer than their room allows; a labelled node counts as a circle
 *  around it and its label (centred lower by half the label's room), so the push is symmetric. */
function separate(xs: Float64Array, ys: Float64Array, room: Float64Array, below: Float64Array): void {
  const count = xs.length;
  for (let a = 0; a < count; a++) {
    for (let b = a + 1; b < count; b++) {
      const vx = xs[a]! - xs[b]!;
      const vy = ys[a]! + below[a]! / 2 - (ys[b]! + below[b]! / 2);
      const apart = room[a]! + room[b]! + 2;
      const d = Math.sqrt(vx * vx + vy * vy) || 1e-3;
      if (d >= apart) continue;
      const push = (apart - d) / 2 / d;
      xs[a]! += vx * push;
      ys[a]! += vy * push;
      xs[b]! -= vx * push;
      ys[b]! -= vy * push;
    }
  }
}

/** Keep every node, and its label, inside the box. */
function clamp(
  xs: Float64Array,
  ys: Float64Array,
  radius: Float64Array,
  below: Float64Array,
  width: number,
  height: number,
): void {
  for (let i = 0; i < xs.length; i++) {
    xs[i] = Math.min(width - radius[i]!, Math.max(radius[i]!, xs[i]!));
    ys[i] = Math.min(height - radius[i]! - below[i]!, Math.max(radius[i]!, ys[i]!));
  }
}
