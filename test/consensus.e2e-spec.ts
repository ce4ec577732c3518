import { EventRecorder, connectOperator, OperatorClientSocket, request } from './support/sockets';
import { ScriptedAgent } from './support/scripted-agent';
import { startTestStack, TestStack, waitUntil } from './support/test-stack';

const FAST = { heartbeat_interval_ms: 500, heartbeat_timeout_ms: 5_000, failover_grace_ms: 60_000 };
const PROPOSALS = '/api/v1/consensus/proposals';

interface Member {
  id: string;
  scripted: ScriptedAgent;
}

describe('consensus: proposals, votes over the agents socket, deadlines, metrics', () => {
  let stack: TestStack;
  let key: string;
  let otherOwnerKey: string;
  let swarmId: string;
  /** Six agents of one swarm; each test names the participants it needs. */
  let members: Member[];
  let operator: OperatorClientSocket;
  let events: EventRecorder;
  const closers: Array<() => void> = [];

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    key = stack.adminKey;
    const owner = await stack.http.post('/api/v1/owners', { key, body: { name: 'consensus-other-owner' } });
    const other = await stack.http.post('/api/v1/auth/keys', { key, body: { name: 'other', role: 'admin', owner_id: owner.body.id } });
    otherOwnerKey = other.body.key;
    swarmId = await swarm();
    members = await Promise.all([0, 1, 2, 3, 4, 5].map(() => agent(swarmId)));
    operator = await connectOperator(stack.baseUrl, key);
    closers.push(() => operator.close());
    events = new EventRecorder(operator);
    expect(await request(operator, 'subscribe', { swarm_id: swarmId })).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    for (const close of closers) close();
    await stack?.close();
  });

  async function swarm(k = key) {
    const res = await stack.http.post('/swarms', { key: k, body: { name: `s-${Math.random().toString(36).slice(2)}`, topology: 'mesh', configuration: FAST } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function agent(inSwarm: string, k = key, baseUrl = stack.baseUrl): Promise<Member> {
    const res = await stack.http.post(`/swarms/${inSwarm}/agents`, { key: k, body: { name: `a-${Math.random().toString(36).slice(2)}`, agent_type: 'test', capabilities: ['echo'] } });
    expect(res.status).toBe(201);
    const scripted = await ScriptedAgent.connect(baseUrl, res.body.token);
    closers.push(() => scripted.close());
    await waitUntil(async () => {
      const { rows } = await stack.db.query('SELECT status FROM agents WHERE id = $1', [res.body.id]);
      expect(['idle', 'busy']).toContain(rows[0].status);
    });
    return { id: res.body.id as string, scripted };
  }

  async function propose(body: Record<string, unknown>, voters: Member[] | undefined, k = key) {
    const res = await stack.http.post(PROPOSALS, {
      key: k,
      body: { swarm_id: swarmId, question: 'which?', ...(voters ? { participants: voters.map((m) => m.id) } : {}), ...body },
    });
    expect(res.status).toBe(201);
    return res.body as Record<string, any>;
  }

  async function proposal(id: string, k = key) {
    const res = await stack.http.get(`${PROPOSALS}/${id}`, { key: k });
    expect(res.status).toBe(200);
    return res.body as Record<string, any>;
  }

  async function closed(id: string, timeoutMs = 10_000) {
    let last: Record<string, any> = {};
    await waitUntil(async () => {
      last = await proposal(id);
      expect(last.status).not.toBe('open');
    }, timeoutMs);
    return last;
  }

  /** Votes in order, each after the previous one's ack; returns the acks. */
  async function voteAll(proposalId: string, ballots: Array<[Member, Record<string, unknown>]>) {
    const answers = [];
    for (const [member, ballot] of ballots) answers.push(await member.scripted.vote({ proposal_id: proposalId, ...ballot }));
    return answers;
  }

  it('majority: asks every participant, decides on the vote that settles it, tells agents and operators, lists the votes', async () => {
    const voters = members.slice(0, 5);
    const p = await propose({ options: ['a', 'b'], algorithm: 'majority' }, voters);
    expect(p).toMatchObject({ status: 'open', algorithm: 'majority', options: ['a', 'b'], participants: voters.map((m) => m.id), decided_value: null });
    expect(new Date(p.deadline_at).getTime() - new Date(p.created_at).getTime()).toBe(30_000);

    await waitUntil(() => voters.forEach((m) => expect(m.scripted.consensusRequests.map((r) => r.proposal_id)).toContain(p.id)));
    const sent = voters[0].scripted.consensusRequests.find((r) => r.proposal_id === p.id)!;
    expect(sent).toEqual({
      proposal_id: p.id,
      swarm_id: swarmId,
      question: 'which?',
      options: ['a', 'b'],
      algorithm: 'majority',
      deadline_at: p.deadline_at,
      delegation_allowed: false,
      participants: voters.map((m) => m.id),
    });
    expect(members[5].scripted.consensusRequests.map((r) => r.proposal_id)).not.toContain(p.id);

    const answers = await voteAll(p.id, [
      [voters[0], { value: 'a' }],
      [voters[1], { value: 'b' }],
      [voters[2], { value: 'a' }],
      [voters[3], { value: 'a' }],
    ]);
    expect(answers.map((a) => a.ok && a.data.status)).toEqual(['open', 'open', 'open', 'decided']);
    expect(answers[0]).toMatchObject({ ok: true, data: { proposal_id: p.id, agent_id: voters[0].id } });
    // Decided: 3 of 5 is a majority whatever the fifth votes. It is refused.
    expect(await voters[4].scripted.vote({ proposal_id: p.id, value: 'b' })).toMatchObject({ ok: false, error: { code: 'proposal_closed' } });

    const done = await proposal(p.id);
    expect(done).toMatchObject({ status: 'decided', decided_value: 'a', outcome_reason: null, confidence: 0.75, participation: 0.8 });
    expect(done.decided_at).not.toBeNull();
    expect(done.votes.map((v: { agent_id: string; value: unknown; weight: number; delegate_agent_id: null }) => [v.agent_id, v.value, v.weight, v.delegate_agent_id])).toEqual([
      [voters[0].id, 'a', 1, null],
      [voters[1].id, 'b', 1, null],
      [voters[2].id, 'a', 1, null],
      [voters[3].id, 'a', 1, null],
    ]);
    expect(done.votes.every((v: { cast_at: string }) => !Number.isNaN(Date.parse(v.cast_at)))).toBe(true);
    expect(done.tally).toMatchObject({
      status: 'decided',
      entries: [
        { value: 'a', weight: 3, voters: [voters[0].id, voters[2].id, voters[3].id].sort() },
        { value: 'b', weight: 1, voters: [voters[1].id] },
      ],
      participation: { by_weight: 0.8, by_count: 0.8 },
      confidence: 0.75,
    });

    await waitUntil(() =>
      voters.forEach((m) =>
        expect(m.scripted.consensusClosed).toContainEqual({ proposal_id: p.id, swarm_id: swarmId, status: 'decided', value: 'a', reason: null, confidence: 0.75 }),
      ),
    );
    const decided = await events.waitFor((e) => e.type === 'consensus.decided' && e.data.proposal_id === p.id);
    expect(decided.data).toMatchObject({ value: 'a', confidence: 0.75, tally: { entries: [{ value: 'a', weight: 3 }, { value: 'b', weight: 1 }] } });
    const casts = events.events.filter((e) => e.type === 'consensus.vote_cast' && e.data.proposal_id === p.id);
    expect(casts.map((e) => [e.agent_id, e.data.value, e.data.votes_cast])).toEqual([
      [voters[0].id, 'a', 1],
      [voters[1].id, 'b', 2],
      [voters[2].id, 'a', 3],
      [voters[3].id, 'a', 4],
    ]);
    expect(casts[2].data.tally).toMatchObject({ status: 'pending', entries: [{ value: 'a', weight: 2 }, { value: 'b', weight: 1 }] });
    expect(events.events.some((e) => e.type === 'consensus.proposed' && e.data.proposal_id === p.id)).toBe(true);
  });

  it('super_majority: a plurality under the threshold is threshold_not_met once everyone voted', async () => {
    const voters = members.slice(0, 4);
    const p = await propose({ options: ['x', 'y'], algorithm: 'super_majority', threshold: 0.8 }, voters);
    const answers = await voteAll(p.id, [
      [voters[0], { value: 'x' }],
      [voters[1], { value: 'x' }],
      [voters[2], { value: 'x' }],
      [voters[3], { value: 'y' }],
    ]);
    expect(answers.map((a) => a.ok && a.data.status)).toEqual(['open', 'open', 'open', 'not_reached']);
    expect(await proposal(p.id)).toMatchObject({ status: 'not_reached', outcome_reason: 'threshold_not_met', threshold: 0.8, confidence: 0.75 });
    await events.waitFor((e) => e.type === 'consensus.not_reached' && e.data.proposal_id === p.id && e.data.reason === 'threshold_not_met');

    // The default two thirds: 2 of 3 is enough.
    const twoThirds = await propose({ algorithm: 'super_majority' }, voters.slice(0, 3));
    const more = await voteAll(twoThirds.id, [
      [voters[0], { value: { plan: 'A', steps: 2 } }],
      [voters[1], { value: { steps: 2, plan: 'A' } }],
      [voters[2], { value: { plan: 'B' } }],
    ]);
    // 2 of 3 already meets two thirds of the largest possible turnout: decided before the third votes.
    expect(more.map((a) => (a.ok ? a.data.status : a.error.code))).toEqual(['open', 'decided', 'proposal_closed']);
    expect(await proposal(twoThirds.id)).toMatchObject({ status: 'decided', decided_value: { plan: 'A', steps: 2 }, options: null });
  });

  it('unanimous: decides only when all agree, fails as soon as two values are cast', async () => {
    const voters = members.slice(0, 3);
    const agreed = await propose({ algorithm: 'unanimous', options: ['ok', 'no'] }, voters);
    const answers = await voteAll(agreed.id, voters.map((m) => [m, { value: 'ok' }] as [Member, Record<string, unknown>]));
    expect(answers.map((a) => a.ok && a.data.status)).toEqual(['open', 'open', 'decided']);
    expect(await proposal(agreed.id)).toMatchObject({ status: 'decided', decided_value: 'ok', confidence: 1 });

    const split = await propose({ algorithm: 'unanimous', options: ['ok', 'no'] }, voters);
    const second = await voteAll(split.id, [
      [voters[0], { value: 'ok' }],
      [voters[1], { value: 'no' }],
    ]);
    expect(second.map((a) => a.ok && a.data.status)).toEqual(['open', 'not_reached']);
    expect(await proposal(split.id)).toMatchObject({ status: 'not_reached', outcome_reason: 'not_unanimous' });
  });

  it('weighted: explicit weights turn the outcome a head count would give; learnt weights come from success rates', async () => {
    const [big, a, b] = members.slice(0, 3);
    const ballots: Array<[Member, Record<string, unknown>]> = [
      [a, { value: 'y' }],
      [b, { value: 'y' }],
      [big, { value: 'x' }],
    ];
    const headCount = await propose({ algorithm: 'majority', options: ['x', 'y'] }, [big, a, b]);
    await voteAll(headCount.id, ballots);
    expect(await proposal(headCount.id)).toMatchObject({ status: 'decided', decided_value: 'y' });

    const weighted = await propose({ algorithm: 'weighted', options: ['x', 'y'], weights: { [big.id]: 3 } }, [big, a, b]);
    const answers = await voteAll(weighted.id, ballots);
    expect(answers.map((r) => r.ok && r.data.status)).toEqual(['open', 'open', 'decided']);
    const done = await proposal(weighted.id);
    expect(done).toMatchObject({ status: 'decided', decided_value: 'x', confidence: 0.6, weights: { [big.id]: 3 }, success_rates: null });
    expect(done.votes.map((v: { weight: number }) => v.weight)).toEqual([1, 1, 3]);

    // Without weights: each agent's task success rate, averaged over its task types.
    await stack.db.query(
      `INSERT INTO agent_task_stats (agent_id, task_type, success_rate_ewma) VALUES ($1, 'echo', 0.9), ($1, 'other', 0.7), ($2, 'echo', 0.2), ($3, 'echo', 0.3)`,
      [big.id, a.id, b.id],
    );
    const learnt = await propose({ algorithm: 'weighted', options: ['x', 'y'] }, [big, a, b]);
    expect(learnt.success_rates).toEqual({ [big.id]: expect.closeTo(0.8, 9), [a.id]: expect.closeTo(0.2, 9), [b.id]: expect.closeTo(0.3, 9) });
    await voteAll(learnt.id, ballots);
    const learntDone = await proposal(learnt.id);
    expect(learntDone).toMatchObject({ status: 'decided', decided_value: 'x' });
    expect(learntDone.confidence).toBeCloseTo(0.8 / 1.3);
  });

  it('delegated: a chain carries every delegator to the final voter; agents in a cycle lose their vote', async () => {
    const [a, b, c, d, e] = members.slice(0, 5);
    const chain = await propose({ algorithm: 'delegated', options: ['x', 'y'] }, [a, b, c, d, e]);
    await waitUntil(() => expect(a.scripted.consensusRequests.find((r) => r.proposal_id === chain.id)).toMatchObject({ delegation_allowed: true }));
    const answers = await voteAll(chain.id, [
      [a, { delegate_to: b.id }],
      [b, { delegate_to: c.id }],
      [d, { value: 'y' }],
      [c, { value: 'x' }],
    ]);
    expect(answers.map((r) => r.ok && r.data.status)).toEqual(['open', 'open', 'open', 'decided']);
    const done = await proposal(chain.id);
    expect(done).toMatchObject({ status: 'decided', decided_value: 'x', confidence: 0.75, participation: 0.8 });
    expect(done.tally.entries[0]).toEqual({ value: 'x', weight: 3, voters: [a.id, b.id, c.id].sort() });
    expect(done.votes.filter((v: { delegate_agent_id: string | null }) => v.delegate_agent_id).map((v: { agent_id: string; delegate_agent_id: string; value: unknown }) => [v.agent_id, v.delegate_agent_id, v.value])).toEqual([
      [a.id, b.id, null],
      [b.id, c.id, null],
    ]);

    const cycle = await propose({ algorithm: 'delegated', options: ['x', 'y'] }, [a, b, c, d, e]);
    const cycleAnswers = await voteAll(cycle.id, [
      [a, { delegate_to: b.id }],
      [b, { delegate_to: a.id }],
      [a, { value: 'x' }],
      [c, { value: 'x' }],
      [d, { value: 'y' }],
      [e, { value: 'x' }],
    ]);
    expect(cycleAnswers[2]).toMatchObject({ ok: false, error: { code: 'delegated', message: `agent ${a.id} delegated its vote to ${b.id} and cannot also vote` } });
    expect(cycleAnswers.map((r) => r.ok && r.data.status)).toEqual(['open', 'open', false, 'open', 'open', 'decided']);
    expect(await proposal(cycle.id)).toMatchObject({ status: 'decided', decided_value: 'x', tally: { participation: { by_count: 0.6 } } });

    const refused = await propose({ algorithm: 'delegated', deadline_ms: 600_000 }, [a, b]);
    expect(await a.scripted.vote({ proposal_id: refused.id, delegate_to: a.id })).toMatchObject({ ok: false, error: { code: 'invalid_value', message: 'an agent cannot delegate its vote to itself' } });
    expect(await a.scripted.vote({ proposal_id: refused.id, delegate_to: e.id })).toMatchObject({ ok: false, error: { code: 'invalid_value' } });
    const notDelegated = await propose({ algorithm: 'majority', deadline_ms: 600_000 }, [a, b]);
    expect(await a.scripted.vote({ proposal_id: notDelegated.id, delegate_to: b.id })).toMatchObject({ ok: false, error: { code: 'invalid_value', message: 'votes can only be delegated on delegated proposals' } });
  });

  /**
   * Every voter votes at once (the value chosen by `valueOf`); each vote is either recorded or
   * refused as closed, and the proposal is decided for 'a' once, counting every recorded vote,
   * with one stored and broadcast vote_cast event per recorded vote.
   */
  async function expectVotesAtOnceCountedOnce(proposalId: string, voters: Member[], valueOf: (index: number) => string) {
    const answers = await Promise.all(voters.map((m, i) => m.scripted.vote({ proposal_id: proposalId, value: valueOf(i) })));
    const recorded = answers.filter((a) => a.ok);
    expect(answers.filter((a) => !a.ok).map((a) => !a.ok && a.error.code)).toEqual(answers.filter((a) => !a.ok).map(() => 'proposal_closed'));
    const done = await closed(proposalId);
    expect(done).toMatchObject({ status: 'decided', decided_value: 'a' });
    expect(done.votes).toHaveLength(recorded.length);
    // The close counted every vote that was recorded, however they interleaved.
    expect(done.participation).toBeCloseTo(recorded.length / voters.length);
    expect(done.tally.participation.by_count).toBeCloseTo(recorded.length / voters.length);
    await events.waitFor((e) => e.type === 'consensus.decided' && e.data.proposal_id === proposalId);
    await waitUntil(() => expect(events.events.filter((e) => e.type === 'consensus.vote_cast' && e.data.proposal_id === proposalId)).toHaveLength(recorded.length));
    expect(events.events.filter((e) => e.type === 'consensus.decided' && e.data.proposal_id === proposalId)).toHaveLength(1);
    const { rows } = await stack.db.query("SELECT count(*)::int AS n FROM swarm_events WHERE type = 'consensus.vote_cast' AND data->>'proposal_id' = $1", [proposalId]);
    expect(rows[0].n).toBe(recorded.length);
  }

  it('counts votes cast at the same moment once each, and closes once, with every recorded vote in the outcome', async () => {
    const voters = members.slice(0, 6);
    for (let round = 0; round < 5; round += 1) {
      const p = await propose({ algorithm: 'majority', options: ['a', 'b'] }, voters);
      await expectVotesAtOnceCountedOnce(p.id, voters, (i) => (i % 3 === 2 ? 'b' : 'a'));
    }
  });

  it('counts votes arriving at two api copies at once once each, and closes once, with every recorded vote in the outcome', async () => {
    const copyB = await stack.startExtraApi();
    closers.push(() => void copyB.close());
    const split = await swarm();
    expect(await request(operator, 'subscribe', { swarm_id: split })).toMatchObject({ ok: true });
    const voters = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => agent(split, key, i % 2 === 0 ? stack.baseUrl : copyB.baseUrl)));
    for (let round = 0; round < 8; round += 1) {
      // Neither copy alone holds a majority: each records its votes, and the two meet on the proposal.
      const p = await propose({ swarm_id: split, algorithm: 'majority', options: ['a', 'b'] }, voters);
      await expectVotesAtOnceCountedOnce(p.id, voters, (i) => (i % 4 === 3 ? 'b' : 'a'));
    }
  });

  it('reports a tie between two equally backed values', async () => {
    const voters = members.slice(0, 4);
    const p = await propose({ algorithm: 'majority', options: ['x', 'y'] }, voters);
    const answers = await voteAll(p.id, [
      [voters[0], { value: 'x' }],
      [voters[1], { value: 'y' }],
      [voters[2], { value: 'x' }],
      [voters[3], { value: 'y' }],
    ]);
    expect(answers.map((r) => r.ok && r.data.status)).toEqual(['open', 'open', 'open', 'not_reached']);
    expect(await proposal(p.id)).toMatchObject({ status: 'not_reached', outcome_reason: 'tie', confidence: 0.5, decided_value: null });
  });

  it('closes at the deadline in the worker: timeout without votes, no_quorum with too few', async () => {
    const voters = members.slice(0, 4);
    const silent = await propose({ algorithm: 'majority', deadline_ms: 400 }, voters);
    const few = await propose({ algorithm: 'majority', deadline_ms: 400 }, voters);
    expect(await voters[0].scripted.vote({ proposal_id: few.id, value: 'x' })).toMatchObject({ ok: true, data: { status: 'open' } });

    expect(await closed(silent.id)).toMatchObject({ status: 'not_reached', outcome_reason: 'timeout', confidence: 0 });
    expect(await closed(few.id)).toMatchObject({ status: 'not_reached', outcome_reason: 'no_quorum', participation: 0.25 });
    await waitUntil(() => expect(voters[1].scripted.consensusClosed).toContainEqual(expect.objectContaining({ proposal_id: silent.id, status: 'not_reached', reason: 'timeout' })));
    expect(await voters[1].scripted.vote({ proposal_id: few.id, value: 'x' })).toMatchObject({ ok: false, error: { code: 'proposal_closed' } });

    // At the deadline the votes cast decide when the quorum is met.
    const enough = await propose({ algorithm: 'majority', deadline: new Date(Date.now() + 500).toISOString() }, voters);
    await voteAll(enough.id, [
      [voters[0], { value: 'x' }],
      [voters[1], { value: 'x' }],
      [voters[2], { value: 'y' }],
    ]);
    expect((await proposal(enough.id)).status).toBe('open');
    expect(await closed(enough.id)).toMatchObject({ status: 'decided', decided_value: 'x' });
  });

  it('closes an overdue proposal that has no deadline job (the sweep), once', async () => {
    // As if the api had stopped right after storing it, before scheduling its deadline.
    const { rows } = await stack.db.query(
      `INSERT INTO consensus_proposals (id, owner_id, swarm_id, question, options, algorithm, participants, deadline_at)
       SELECT gen_random_uuid(), owner_id, id, 'orphan?', '["x"]', 'majority', $2::text[], now() - interval '1 second' FROM swarms WHERE id = $1
       RETURNING id`,
      [swarmId, members.slice(0, 2).map((m) => m.id)],
    );
    const id = rows[0].id as string;
    expect(await closed(id, 5_000)).toMatchObject({ status: 'not_reached', outcome_reason: 'timeout' });
    await events.waitFor((e) => e.type === 'consensus.not_reached' && e.data.proposal_id === id);
    expect(events.events.filter((e) => e.type === 'consensus.not_reached' && e.data.proposal_id === id)).toHaveLength(1);
  });

  it('refuses a second vote, outsiders, values outside the options and malformed votes', async () => {
    const voters = members.slice(0, 3);
    const p = await propose({ algorithm: 'majority', options: ['x', 'y'] }, voters);
    expect(await voters[0].scripted.vote({ proposal_id: p.id, value: 'x' })).toMatchObject({ ok: true });
    expect(await voters[0].scripted.vote({ proposal_id: p.id, value: 'y' })).toEqual({ ok: false, error: { code: 'already_voted', message: `agent ${voters[0].id} has already voted` } });
    expect(await members[4].scripted.vote({ proposal_id: p.id, value: 'x' })).toEqual({
      ok: false,
      error: { code: 'not_participant', message: `agent ${members[4].id} is not a participant of the proposal` },
    });
    expect(await voters[1].scripted.vote({ proposal_id: p.id, value: 'z' })).toEqual({ ok: false, error: { code: 'not_an_option', message: `"z" is not one of the proposal's options` } });
    expect(await voters[1].scripted.vote({ proposal_id: p.id })).toMatchObject({ ok: false, error: { code: 'validation_failed', message: 'give exactly one of value (a vote) or delegate_to (an agent id)' } });
    expect(await voters[1].scripted.vote({ proposal_id: 'nope', value: 'x' })).toMatchObject({ ok: false, error: { code: 'validation_failed', message: 'proposal_id must be a UUID' } });
    expect(await voters[1].scripted.vote({ proposal_id: p.id, value: 'x', colour: 'red' })).toMatchObject({ ok: false, error: { code: 'validation_failed', message: 'property colour should not exist' } });
    expect(await voters[1].scripted.vote({ proposal_id: '0190b6a0-0000-7000-8000-000000000001', value: 'x' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    // Only the one accepted vote is stored.
    expect((await proposal(p.id)).votes).toHaveLength(1);

    // An agent of another owner cannot even see the proposal.
    const foreignSwarm = await swarm(otherOwnerKey);
    const foreigner = await agent(foreignSwarm, otherOwnerKey);
    expect(await foreigner.scripted.vote({ proposal_id: p.id, value: 'x' })).toMatchObject({ ok: false, error: { code: 'not_found', message: `proposal ${p.id} was not found` } });

    const cancelled = await stack.http.post(`${PROPOSALS}/${p.id}/cancel`, { key });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', outcome_reason: 'cancelled' });
    expect((await stack.http.post(`${PROPOSALS}/${p.id}/cancel`, { key })).status).toBe(409);
    expect(await voters[1].scripted.vote({ proposal_id: p.id, value: 'x' })).toMatchObject({ ok: false, error: { code: 'proposal_closed' } });
    await waitUntil(() => expect(voters[2].scripted.consensusClosed).toContainEqual(expect.objectContaining({ proposal_id: p.id, status: 'cancelled', reason: 'cancelled' })));
  });

  it('answers 400 naming each problem, 404 for what is not the caller’s, 409 without anyone to vote', async () => {
    const post = (body: Record<string, unknown>, k = key) => stack.http.post(PROPOSALS, { key: k, body });
    const base = { swarm_id: swarmId, question: 'q?', algorithm: 'majority', participants: [members[0].id] };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, swarm_id: undefined }, 'swarm_id must be a UUID'],
      [{ ...base, question: '' }, 'question must be longer than or equal to 1 characters'],
      [{ ...base, algorithm: 'plurality' }, 'algorithm must be one of majority, super_majority, unanimous, weighted, delegated'],
      [{ ...base, options: [] }, 'options, when given, must hold at least one value'],
      [{ ...base, options: ['a', 'b', 'a'] }, 'options[2] repeats options[0]'],
      [{ ...base, threshold: 0.7 }, 'threshold applies to super_majority proposals only'],
      [{ ...base, algorithm: 'super_majority', threshold: 0.5 }, 'threshold must be in (0.5, 1], got 0.5'],
      [{ ...base, quorum: 2 }, 'quorum must not be greater than 1'],
      [{ ...base, weights: { [members[0].id]: 2 } }, 'weights apply to weighted and delegated proposals only'],
      [{ ...base, algorithm: 'weighted', weights: { [members[0].id]: -1 } }, `weights.${members[0].id} must be a number >= 0`],
      [{ ...base, algorithm: 'weighted', weights: { [members[1].id]: 2 } }, `weights name agents that are not participants: ${members[1].id}`],
      [{ ...base, algorithm: 'weighted', weights: { [members[0].id]: 0 } }, 'the participants carry no weight: at least one weight must be positive'],
      [{ ...base, participants: [] }, 'participants, when given, must name at least one agent'],
      [{ ...base, participants: ['x'] }, 'each participant must be an agent id (UUID)'],
      [{ ...base, participants: [members[0].id, members[0].id] }, `participants lists agents twice: ${members[0].id}`],
      [{ ...base, deadline_ms: 10 }, 'deadline_ms must not be less than 100'],
      [{ ...base, deadline_ms: 1_000, deadline: new Date(Date.now() + 5_000).toISOString() }, 'give deadline_ms or deadline, not both'],
      [{ ...base, deadline: new Date(Date.now() - 1_000).toISOString() }, 'deadline must be between 100 ms and 86400000 ms from now'],
      [{ ...base, colour: 'red' }, 'property colour should not exist'],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect({ body, status: res.status, message: res.body.message }).toEqual({ body, status: 400, message: expect.stringContaining(message) });
    }
    const stranger = await agent(await swarm());
    const notMember = await post({ ...base, participants: [members[0].id, stranger.id] });
    expect(notMember.status).toBe(400);
    expect(notMember.body.message).toBe(`participants are not active members of swarm ${swarmId}: ${stranger.id}`);

    expect((await post({ ...base, swarm_id: '0190b6a0-0000-7000-8000-000000000001' })).status).toBe(404);
    expect((await post(base, otherOwnerKey)).status).toBe(404);
    const mine = await propose({ algorithm: 'majority', deadline_ms: 600_000 }, [members[0]]);
    expect((await stack.http.get(`${PROPOSALS}/${mine.id}`, { key: otherOwnerKey })).status).toBe(404);
    expect((await stack.http.post(`${PROPOSALS}/${mine.id}/cancel`, { key: otherOwnerKey })).status).toBe(404);
    expect((await stack.http.get(`${PROPOSALS}/not-a-uuid`, { key })).status).toBe(400);
    expect((await stack.http.get(`${PROPOSALS}?swarm_id=${swarmId}`, { key: otherOwnerKey })).body.items).toEqual([]);

    const empty = await swarm();
    const nobody = await post({ swarm_id: empty, question: 'q?', algorithm: 'majority' });
    expect(nobody.status).toBe(409);
    expect(nobody.body.message).toBe(`swarm ${empty} has no healthy (idle or busy) agent to vote; connect agents or name participants`);
  });

  it('takes every healthy member when no participants are named', async () => {
    const small = await swarm();
    const pair = [await agent(small), await agent(small)];
    const res = await stack.http.post(PROPOSALS, { key, body: { swarm_id: small, question: 'go?', algorithm: 'majority', options: [true, false] } });
    expect(res.status).toBe(201);
    expect([...res.body.participants].sort()).toEqual(pair.map((m) => m.id).sort());
    await voteAll(res.body.id, [
      [pair[0], { value: true }],
      [pair[1], { value: true }],
    ]);
    expect(await proposal(res.body.id)).toMatchObject({ status: 'decided', decided_value: true });
  });

  it('lists with filters and cursor paging, and computes metrics from what happened', async () => {
    const all: Array<Record<string, any>> = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: Array<Record<string, any>>; next_cursor: string | null } } = await stack.http.get(
        `${PROPOSALS}?swarm_id=${swarmId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        { key },
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      all.push(...page.body.items);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(all.length).toBeGreaterThan(10);
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    expect(all.map((p) => p.id)).toEqual([...all.map((p) => p.id)].sort().reverse());
    expect(all.every((p) => p.swarm_id === swarmId && p.votes === undefined)).toBe(true);

    const decided = await stack.http.get(`${PROPOSALS}?swarm_id=${swarmId}&status=decided&limit=1000`, { key });
    expect(decided.body.items.map((p: { id: string }) => p.id)).toEqual(all.filter((p) => p.status === 'decided').map((p) => p.id));
    expect((await stack.http.get(`${PROPOSALS}?status=maybe`, { key })).status).toBe(400);

    const metrics = await stack.http.get(`/api/v1/consensus/metrics?swarm_id=${swarmId}&window=1h`, { key });
    expect(metrics.status).toBe(200);
    const count = (status: string) => all.filter((p) => p.status === status).length;
    expect(metrics.body.proposals).toEqual({ open: count('open'), decided: count('decided'), not_reached: count('not_reached'), cancelled: count('cancelled'), total: all.length });
    expect(metrics.body.success_rate).toBeCloseTo(count('decided') / (count('decided') + count('not_reached')));
    const reasons: Record<string, number> = {};
    for (const p of all.filter((x) => x.status === 'not_reached')) reasons[p.outcome_reason] = (reasons[p.outcome_reason] ?? 0) + 1;
    expect(metrics.body.not_reached_by_reason).toEqual(reasons);
    const times = all
      .filter((p) => p.status === 'decided')
      .map((p) => Date.parse(p.decided_at) - Date.parse(p.created_at))
      .sort((a, b) => a - b);
    expect(metrics.body.decision_time_ms.count).toBe(times.length);
    expect(metrics.body.decision_time_ms.p50).toBeCloseTo(percentileCont(times, 0.5), 6);
    expect(metrics.body.decision_time_ms.p99).toBeCloseTo(percentileCont(times, 0.99), 6);
    expect(metrics.body.decision_time_ms.mean).toBeCloseTo(times.reduce((a, b) => a + b, 0) / times.length, 6);

    // Owner-scoped: the other owner sees none of it.
    const foreign = await stack.http.get('/api/v1/consensus/metrics', { key: otherOwnerKey });
    expect(foreign.body).toMatchObject({ proposals: { total: 0 }, success_rate: null, decision_time_ms: { p50: null, count: 0 } });
    expect((await stack.http.get(`/api/v1/consensus/metrics?swarm_id=${swarmId}`, { key: otherOwnerKey })).status).toBe(404);
  });
});

/** Postgres' percentile_cont: linear interpolation between the closest ranks. */
function percentileCont(sorted: number[], fraction: number): number {
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}
