import { decideVerification, handOverLeadership, LeaderVerificationSpec, nextLeader, rankLeaderCandidates, verdictOf, VerifierState } from './leader-verification';

const verifier = (agent_id: string, status: VerifierState['status'] = 'waiting', verdict: VerifierState['verdict'] = null): VerifierState => ({
  agent_id,
  task_id: status === 'waiting' ? null : `t-${agent_id}`,
  status,
  verdict,
  reason: verdict === 'rejected' ? 'wrong' : null,
});

const spec = (verifiers: VerifierState[], leader = 'a'): LeaderVerificationSpec => ({
  collaborators: [leader, ...verifiers.map((v) => v.agent_id)],
  leader,
  leader_task_id: 't-lead',
  election: { leader, reason: 'test', ranking: [] },
  former_leaders: [],
  verifiers,
});

describe('rankLeaderCandidates', () => {
  it('elects the best success rate, then the least loaded, then the lowest id', () => {
    const record = rankLeaderCandidates([
      { agentId: 'c', successRate: 0.5, load: 0 },
      { agentId: 'b', successRate: 0.9, load: 3 },
      { agentId: 'a', successRate: 0.9, load: 1 },
    ]);
    expect(record.leader).toBe('a');
    expect(record.ranking.map((r) => r.agent_id)).toEqual(['a', 'b', 'c']);
    expect(record.reason).toMatch(/least loaded \(1 attempts vs 3\)/);
  });

  it('counts an agent without history as fully reliable, ahead of a measured 0.8', () => {
    const record = rankLeaderCandidates([
      { agentId: 'old', successRate: 0.8, load: 0 },
      { agentId: 'new', successRate: null, load: 0 },
    ]);
    expect(record.leader).toBe('new');
    expect(record.reason).toMatch(/highest success rate on this task type \(1.00 vs 0.80\)/);
  });

  it('breaks a full tie by id', () => {
    expect(rankLeaderCandidates([{ agentId: 'z', successRate: null, load: 0 }, { agentId: 'y', successRate: null, load: 0 }]).leader).toBe('y');
  });

  it('refuses an empty list', () => {
    expect(() => rankLeaderCandidates([])).toThrow(/no collaborator/);
  });
});

describe('verdictOf', () => {
  it('takes an explicit verdict as given, with its reason', () => {
    expect(verdictOf({ x: 1 }, { verified: true })).toEqual({ verdict: 'approved', reason: null });
    expect(verdictOf({ x: 1 }, { approved: false, reason: 'off by one' })).toEqual({ verdict: 'rejected', reason: 'off by one' });
  });

  it('compares a recomputed result with the leader’s, key order ignored', () => {
    expect(verdictOf({ a: 1, b: [2, 3] }, { b: [2, 3], a: 1 }).verdict).toBe('approved');
    expect(verdictOf({ a: 1 }, { a: 2 })).toEqual({ verdict: 'rejected', reason: "its own result differs from the leader's" });
    expect(verdictOf('yes', 'yes').verdict).toBe('approved');
  });

  it('does not read a non-boolean verified field as a verdict', () => {
    expect(verdictOf({ verified: 'yes' }, { verified: 'yes' }).verdict).toBe('approved');
    expect(verdictOf({ verified: 'no' }, { verified: 'yes' }).verdict).toBe('rejected');
  });
});

describe('decideVerification', () => {
  it('stands once a strict majority approves, before the rest report', () => {
    const decision = decideVerification(spec([verifier('b', 'completed', 'approved'), verifier('c', 'completed', 'approved'), verifier('d', 'running')]));
    expect(decision).toEqual({ state: 'completed', approvals: 2, needed: 2 });
  });

  it('waits while the majority is still possible', () => {
    expect(decideVerification(spec([verifier('b', 'completed', 'rejected'), verifier('c', 'running'), verifier('d', 'queued')]))).toEqual({ state: 'pending' });
  });

  it('falls once the majority is out of reach, saying who rejected and who could not check', () => {
    const unable = { ...verifier('c', 'failed'), reason: 'no handler for swarm.coordinate.verify' };
    const decision = decideVerification(spec([verifier('b', 'completed', 'rejected'), unable, verifier('d', 'running')]));
    expect(decision.state).toBe('failed');
    expect(decision.state === 'failed' && decision.error).toBe(
      "leader a's result was not verified: 0 of 3 verifiers approved, 2 needed; 1 rejected it (b: wrong), 1 could not check it (c: no handler for swarm.coordinate.verify)",
    );
  });

  it('needs the single verifier of a pair to approve', () => {
    expect(decideVerification(spec([verifier('b', 'completed', 'approved')])).state).toBe('completed');
    expect(decideVerification(spec([verifier('b', 'completed', 'rejected')])).state).toBe('failed');
  });

  it('fails when no verifier is left', () => {
    expect(decideVerification(spec([]))).toEqual({ state: 'failed', error: 'no collaborator is left to verify the result of leader a' });
  });
});

describe('leadership hand-over', () => {
  it('passes to the best ranked live verifier that has not led', () => {
    const s = spec([verifier('b'), verifier('c'), verifier('d')]);
    expect(nextLeader(s, (id) => id !== 'b')).toBe('c');
    handOverLeadership(s, 'c', 't-c', 'leader a failed: boom');
    expect(s.leader).toBe('c');
    expect(s.leader_task_id).toBe('t-c');
    expect(s.verifiers.map((v) => v.agent_id)).toEqual(['b', 'd']);
    expect(s.former_leaders).toEqual([{ agent_id: 'a', task_id: 't-lead', reason: 'leader a failed: boom' }]);
    expect(nextLeader(s, () => true)).toBe('b');
  });

  it('finds nobody when every live collaborator has led', () => {
    const s = spec([verifier('b')]);
    handOverLeadership(s, 'b', 't-b', 'lost');
    expect(nextLeader(s, () => true)).toBeNull();
    expect(decideVerification(s).state).toBe('failed');
  });
});
