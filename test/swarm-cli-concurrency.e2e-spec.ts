import { startTestStack, TestStack } from './support/test-stack';

/**
 * Many joins and leaves of one region at once (they are placed and written together): every
 * request still gets its own member, swarms fill up to max_agents and no further, and every
 * member leaves exactly once.
 */
describe('/swarm joins and leaves at the same time', () => {
  let stack: TestStack;
  let key: string;
  const region = `burst-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    stack = await startTestStack();
    key = stack.adminKey;
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function join(role: string) {
    const res = await stack.http.post('/swarm/join', { key, body: { role, capability: 'analysis', priority: 'normal', region } });
    expect(res.status).toBe(201);
    return res.body as { swarm_id: string; swarm_name: string; member_id: string; name: string; status: string; agent_token: string };
  }

  it('gives each of many simultaneous joins its own member, filling a swarm up to max_agents before the next', async () => {
    const first = await join('monitor');
    const cap = await stack.http.put(`/swarms/${first.swarm_id}`, { key, body: { configuration: { max_agents: 8 } } });
    expect(cap.status).toBe(200);

    const roles = ['load-balancer', 'resource-optimizer', 'task-coordinator', 'monitor'];
    const joined = await Promise.all(Array.from({ length: 12 }, (_, i) => join(roles[i % roles.length])));
    const all = [first, ...joined];
    expect(new Set(all.map((j) => j.member_id)).size).toBe(13);
    expect(new Set(all.map((j) => j.agent_token)).size).toBe(13);
    for (const j of all) expect(j.status).toBe('active');
    // Names count up per role: none repeats.
    expect(new Set(all.map((j) => j.name)).size).toBe(13);

    const bySwarm = new Map<string, string[]>();
    for (const j of all) bySwarm.set(j.swarm_name, [...(bySwarm.get(j.swarm_name) ?? []), j.member_id]);
    expect(bySwarm.get(`cli-${region}-1`)).toHaveLength(8);
    expect(bySwarm.get(`cli-${region}-2`)).toHaveLength(5);

    const { rows } = await stack.db.query(
      `SELECT s.name, count(*) FILTER (WHERE m.status = 'active')::int AS active FROM swarms s JOIN swarm_memberships m ON m.swarm_id = s.id
       WHERE s.name LIKE $1 GROUP BY s.name ORDER BY s.name`,
      [`cli-${region}-%`],
    );
    expect(rows).toEqual([
      { name: `cli-${region}-1`, active: 8 },
      { name: `cli-${region}-2`, active: 5 },
    ]);
    // One registration and one join event per member, one audit row per membership.
    const events = await stack.db.query(
      `SELECT type, count(*)::int AS n FROM swarm_events WHERE agent_id = ANY($1) AND type IN ('agent_registered', 'agent_joined') GROUP BY type ORDER BY type`,
      [all.map((j) => j.member_id)],
    );
    expect(events.rows.map((r) => r.n)).toEqual([13, 13]);
    const audits = await stack.db.query(`SELECT count(*)::int AS n FROM audit_logs WHERE action = 'swarm.agent.add' AND details->>'agent_id' = ANY($1)`, [
      all.map((j) => j.member_id),
    ]);
    expect(audits.rows[0].n).toBe(13);

    // Every member leaves at once through the older form; each leaves once, a repeat is a 404.
    const swarmOf = new Map(all.map((j) => [j.member_id, j.swarm_id]));
    const leaves = await Promise.all(all.map((j) => stack.http.post('/swarm/leave', { key, body: { swarm_id: j.swarm_id, member_id: j.member_id } })));
    leaves.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ swarm_id: swarmOf.get(all[i].member_id), left: [all[i].member_id] });
    });
    const again = await Promise.all(all.slice(0, 3).map((j) => stack.http.post('/swarm/leave', { key, body: { swarm_id: j.swarm_id, member_id: j.member_id } })));
    for (const res of again) expect(res.status).toBe(404);
    const left = await stack.db.query(`SELECT count(*)::int AS n FROM swarm_events WHERE agent_id = ANY($1) AND type = 'agent_left'`, [all.map((j) => j.member_id)]);
    expect(left.rows[0].n).toBe(13);
    const stopped = await stack.db.query(`SELECT count(*)::int AS n FROM agents WHERE id = ANY($1) AND status = 'stopped'`, [all.map((j) => j.member_id)]);
    expect(stopped.rows[0].n).toBe(13);
  });

  it('keeps a network’s agents in the order given, and a whole swarm leaves in one request', async () => {
    const members = [];
    for (let i = 0; i < 6; i++) members.push(await join('monitor'));
    const agents = [...members.map((m) => m.member_id)].reverse();
    const network = await stack.http.post('/api/v1/agents/networks', { key, body: { name: 'ordered', description: 'x', agents, coordination_strategy: 'hybrid' } });
    expect(network.status).toBe(201);
    expect(network.body.agents).toEqual(agents);

    const swarmId = members[0].swarm_id;
    const inSwarm = members.filter((m) => m.swarm_id === swarmId).map((m) => m.member_id);
    const res = await fetch(`${stack.baseUrl}/swarm/${swarmId}/leave`, { method: 'POST', headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { swarm_id: string; left: string[] };
    expect(body.left).toEqual(inSwarm);
    const list = await stack.http.get(`/swarm/list?limit=20&swarm_id=${swarmId}`, { key });
    expect(list.body.items[0].member_count).toBe(0);
    // Still members of the network's swarm: not stopped.
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM agents WHERE id = ANY($1) AND status = 'stopped'`, [inSwarm]);
    expect(rows[0].n).toBe(0);
  });
});
