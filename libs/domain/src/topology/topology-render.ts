import {
  TopologyEdgeKind,
  TopologyGraph,
  TopologyGraphEdge,
  TopologyGraphNode,
  TopologyLayout,
} from './topology.types';

const EDGE_KIND: Record<TopologyLayout['topology'], TopologyEdgeKind> = {
  star: 'coordinates',
  mesh: 'peer',
  hierarchical: 'parent_child',
  ring: 'ring',
};

/** The layout as nodes and undirected edges, each edge listed once (structural order decides direction). */
export function toTopologyGraph(layout: TopologyLayout): TopologyGraph {
  const nodes = layout.nodes.map((n): TopologyGraphNode => {
    const node: TopologyGraphNode = { agent_id: n.agentId, name: n.name, role: n.role, status: n.status };
    if (n.level !== null) node.level = n.level;
    return node;
  });
  const rank = new Map(structuralOrder(layout).map((id, i) => [id, i]));
  const edges: TopologyGraphEdge[] = [];
  for (const node of layout.nodes) {
    for (const other of node.neighbours) {
      // Each pair is seen from both ends; keep the one that starts earlier in structural order.
      if (rank.get(node.agentId)! < rank.get(other)!) {
        edges.push({ from: node.agentId, to: other, kind: EDGE_KIND[layout.topology] });
      }
    }
  }
  edges.sort((a, b) => rank.get(a.from)! - rank.get(b.from)! || rank.get(a.to)! - rank.get(b.to)!);
  return { topology: layout.topology, nodes, edges };
}

/** Structural order first, then members outside the structure (e.g. failed ones), in join order. */
function structuralOrder(layout: TopologyLayout): string[] {
  const rest = layout.nodes.map((n) => n.agentId).filter((id) => !layout.order.includes(id));
  return [...layout.order, ...rest];
}

/**
 * Mermaid flowchart text: one line per edge, then one per member with no edge, so every
 * member appears. Node ids are generated (agent ids may hold characters Mermaid rejects).
 */
export function renderMermaid(graph: TopologyGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.agent_id, `n${i}`]));
  const byId = new Map(graph.nodes.map((n) => [n.agent_id, n]));
  const ref = (agentId: string) => {
    const node = byId.get(agentId)!;
    const label = `${node.name} (${node.role})`.replace(/"/g, '#quot;');
    return `${ids.get(agentId)}["${label}"]`;
  };
  const lines = ['graph TD'];
  const connected = new Set<string>();
  for (const edge of graph.edges) {
    lines.push(`  ${ref(edge.from)} --- ${ref(edge.to)}`);
    connected.add(edge.from).add(edge.to);
  }
  for (const node of graph.nodes) {
    if (!connected.has(node.agent_id)) lines.push(`  ${ref(node.agent_id)}`);
  }
  return lines.join('\n');
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

interface Point {
  x: number;
  y: number;
}

const SVG_SIZE = 480;
const NODE_RADIUS = 22;
const ROLE_FILL: Record<TopologyGraphNode['role'], string> = {
  coordinator: '#f4b942',
  supervisor: '#6fa8dc',
  worker: '#93c47d',
};

/**
 * A small standalone SVG: star = coordinator in the centre and workers on a circle, ring and
 * mesh = everyone on a circle, hierarchical = one row per level. Members outside the structure
 * sit on a bottom row, drawn faded.
 */
export function renderSvg(layout: TopologyLayout): string {
  const graph = toTopologyGraph(layout);
  const positions = placeNodes(layout);
  const lines = graph.edges.map((e) => {
    const a = positions.get(e.from)!;
    const b = positions.get(e.to)!;
    return `<line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}" stroke="#888" stroke-width="1.5"/>`;
  });
  const nodes = graph.nodes.map((n) => {
    const p = positions.get(n.agent_id)!;
    const faded = layout.order.includes(n.agent_id) ? '' : ' opacity="0.4"';
    return (
      `<g${faded}><title>${escapeXml(`${n.name} — ${n.role}, ${n.status}`)}</title>` +
      `<circle cx="${p.x}" cy="${p.y}" r="${NODE_RADIUS}" fill="${ROLE_FILL[n.role]}" stroke="#333"/>` +
      `<text x="${p.x}" y="${p.y + NODE_RADIUS + 14}" text-anchor="middle" font-size="11">${escapeXml(n.name)}</text>` +
      `</g>`
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_SIZE}" height="${SVG_SIZE}" viewBox="0 0 ${SVG_SIZE} ${SVG_SIZE}" font-family="sans-serif">`,
    ...lines,
    ...nodes,
    '</svg>',
  ].join('\n');
}

function placeNodes(layout: TopologyLayout): Map<string, Point> {
  const positions = new Map<string, Point>();
  const centre = SVG_SIZE / 2;
  const outside = layout.nodes.map((n) => n.agentId).filter((id) => !layout.order.includes(id));
  const usable = outside.length > 0 ? SVG_SIZE - 80 : SVG_SIZE;

  if (layout.topology === 'hierarchical') {
    const levels: string[][] = [];
    for (const id of layout.order) {
      const level = layout.nodes.find((n) => n.agentId === id)!.level ?? 0;
      (levels[level] ??= []).push(id);
    }
    const rowGap = usable / (levels.length + 1);
    levels.forEach((row, depth) => spreadRow(row, rowGap * (depth + 1), positions));
  } else {
    const onCircle = layout.topology === 'star' ? layout.order.slice(1) : layout.order;
    if (layout.topology === 'star' && layout.order.length > 0) positions.set(layout.order[0], { x: centre, y: usable / 2 });
    const radius = usable / 2 - NODE_RADIUS - 24;
    onCircle.forEach((id, i) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / onCircle.length;
      positions.set(id, { x: round(centre + radius * Math.cos(angle)), y: round(usable / 2 + radius * Math.sin(angle)) });
    });
  }
  spreadRow(outside, SVG_SIZE - 40, positions);
  return positions;
}

function spreadRow(ids: string[], y: number, positions: Map<string, Point>): void {
  const gap = SVG_SIZE / (ids.length + 1);
  ids.forEach((id, i) => positions.set(id, { x: round(gap * (i + 1)), y: round(y) }));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
