import { buildTopologyLayout } from './topology-layout';
import { escapeXml, renderMermaid, renderSvg, toTopologyGraph } from './topology-render';
import { members } from './topology.fixtures';
import { SWARM_TOPOLOGIES } from '../swarm/swarm.types';

/** Checks tags open and close in order; enough to catch a broken renderer. */
function tagsBalance(svg: string): boolean {
  const stack: string[] = [];
  for (const [, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else stack.push(name);
  }
  return stack.length === 0;
}

describe('toTopologyGraph', () => {
  it('lists each link once with the topology edge kind and levels where they exist', () => {
    const graph = toTopologyGraph(buildTopologyLayout(members(4), { topology: 'hierarchical', maxChildrenPerParent: 2 }));
    expect(graph.edges).toEqual([
      { from: 'a1', to: 'a2', kind: 'parent_child' },
      { from: 'a1', to: 'a3', kind: 'parent_child' },
      { from: 'a2', to: 'a4', kind: 'parent_child' },
    ]);
    expect(graph.nodes[3]).toEqual({ agent_id: 'a4', name: 'a4', role: 'worker', status: 'idle', level: 2 });
  });

  it('a ring of n live members has n edges; mesh has every pair', () => {
    expect(toTopologyGraph(buildTopologyLayout(members(5), { topology: 'ring' })).edges).toHaveLength(5);
    expect(toTopologyGraph(buildTopologyLayout(members(5), { topology: 'mesh' })).edges).toHaveLength(10);
    expect(toTopologyGraph(buildTopologyLayout(members(5), { topology: 'mesh' })).nodes[0].level).toBeUndefined();
  });
});

describe('renderMermaid', () => {
  it('writes graph TD with one line per edge and roles in the labels', () => {
    const layout = buildTopologyLayout(members(3, { a3: { status: 'unhealthy' } }), { topology: 'star' });
    expect(renderMermaid(toTopologyGraph(layout))).toBe(
      ['graph TD', '  n0["a1 (coordinator)"] --- n1["a2 (worker)"]', '  n2["a3 (worker)"]'].join('\n'),
    );
  });

  it('escapes quotes in names', () => {
    const layout = buildTopologyLayout(members(1, { a1: { name: 'the "boss"' } }), { topology: 'mesh' });
    expect(renderMermaid(toTopologyGraph(layout))).toContain('the #quot;boss#quot; (coordinator)');
  });
});

describe('renderSvg', () => {
  it.each(SWARM_TOPOLOGIES)('%s: well-formed, one circle per member, one line per edge', (topology) => {
    const layout = buildTopologyLayout(members(6, { a6: { status: 'unhealthy' } }), { topology, maxChildrenPerParent: 2 });
    const svg = renderSvg(layout);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(tagsBalance(svg)).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg.match(/<line /g) ?? []).toHaveLength(toTopologyGraph(layout).edges.length);
    for (const id of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']) expect(svg).toContain(`>${id}</text>`);
    expect(svg).not.toMatch(/NaN|undefined/);
  });

  it('star puts the coordinator in the centre', () => {
    const svg = renderSvg(buildTopologyLayout(members(4), { topology: 'star' }));
    expect(svg).toContain('<circle cx="240" cy="240"');
  });

  it('escapes agent names for XML', () => {
    const svg = renderSvg(buildTopologyLayout(members(2, { a2: { name: `<x & 'y'>` } }), { topology: 'ring' }));
    expect(svg).toContain('&lt;x &amp; &apos;y&apos;&gt;');
    expect(svg).not.toContain('<x &');
    expect(tagsBalance(svg)).toBe(true);
  });

  it('escapeXml covers the five XML specials', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });
});
