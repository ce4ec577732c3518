import { AgentClient } from './agent-client';
import { delegateTo, type ConsensusRequest } from './consensus';
import { nextEvent, waitUntil } from './testing/client-events';
import { TestCoordinator } from './testing/test-coordinator';

const TOKEN = 'sa_AbCd1234_0123456789abcdefghijklmnopqrstuv';
const REPORT_TIMEOUT_MS = 200;

describe('AgentClient consensus', () => {
  let coordinator: TestCoordinator;
  let client: AgentClient;

  beforeEach(async () => {
    coordinator = await TestCoordinator.start({ tokens: [TOKEN], heartbeatIntervalMs: 150 });
    client = new AgentClient({ url: coordinator.url, token: TOKEN, reconnect: { initialDelayMs: 20, maxDelayMs: 100 }, reportTimeoutMs: REPORT_TIMEOUT_MS });
  });

  afterEach(async () => {
    await client.stop('test finished');
    await coordinator.close();
  });

  it('hands the request to the handler and votes for the value it returns', async () => {
    const seen: ConsensusRequest[] = [];
    client.onConsensus((request) => {
      seen.push(request);
      return { plan: 'A' };
    });
    await client.connect();
    const voted = nextEvent(client, 'consensus-voted');
    const sent = coordinator.requestConsensus({ options: [{ plan: 'A' }, { plan: 'B' }] });
    const [vote] = await coordinator.next('vote');
    expect(vote.payload).toEqual({ proposal_id: sent.proposal_id, value: { plan: 'A' } });
    expect(await voted).toEqual([{ proposalId: sent.proposal_id, ballot: { value: { plan: 'A' } }, status: 'open' }]);
    expect(seen[0]).toMatchObject({
      proposalId: sent.proposal_id,
      swarmId: 'swarm-a',
      question: 'which?',
      options: [{ plan: 'A' }, { plan: 'B' }],
      algorithm: 'majority',
      deadlineAt: new Date(sent.deadline_at),
      delegationAllowed: false,
      participants: [coordinator.agentId],
    });
    expect(seen[0].signal.aborted).toBe(false);
  });

  it('delegates when the handler says so, abstains on undefined, and ignores a second copy of a request', async () => {
    client.onConsensus((request) => (request.question === 'abstain?' ? undefined : request.delegationAllowed ? delegateTo('agent-b') : 'x'));
    await client.connect();
    const skipped = coordinator.requestConsensus({ question: 'abstain?' });
    const delegated = coordinator.requestConsensus({ algorithm: 'delegated', delegation_allowed: true });
    coordinator.requestConsensus(delegated);
    const [vote] = await coordinator.next('vote');
    expect(vote.payload).toEqual({ proposal_id: delegated.proposal_id, delegate_to: 'agent-b' });
    const marker = coordinator.requestConsensus();
    await coordinator.next('vote', (v) => v.payload.proposal_id === marker.proposal_id);
    expect(coordinator.votes.map((v) => v.payload.proposal_id)).toEqual([delegated.proposal_id, marker.proposal_id]);
    expect(coordinator.votes.some((v) => v.payload.proposal_id === skipped.proposal_id)).toBe(false);
  });

  it('reports a refused vote and does not send it again', async () => {
    client.onConsensus(() => 'z');
    coordinator.answerVote = () => ({ ok: false, error: { code: 'not_an_option', message: `"z" is not one of the proposal's options` } });
    await client.connect();
    const rejected = nextEvent(client, 'consensus-vote-rejected');
    const sent = coordinator.requestConsensus();
    expect(await rejected).toEqual([{ proposalId: sent.proposal_id, error: { code: 'not_an_option', message: `"z" is not one of the proposal's options` } }]);
    await new Promise((resolve) => setTimeout(resolve, REPORT_TIMEOUT_MS * 2));
    expect(coordinator.votes).toHaveLength(1);
  });

  it('sends a vote again when it got no answer; already_voted then means the first copy counted', async () => {
    client.onConsensus(() => 'a');
    let calls = 0;
    coordinator.answerVote = ({ payload }) =>
      ++calls === 1 ? 'no-answer' : { ok: false, error: { code: 'already_voted', message: `agent ${coordinator.agentId} has already voted on ${payload.proposal_id}` } };
    await client.connect();
    const voted = nextEvent(client, 'consensus-voted');
    const sent = coordinator.requestConsensus();
    expect(await voted).toEqual([{ proposalId: sent.proposal_id, ballot: { value: 'a' }, status: 'open' }]);
    expect(coordinator.votes.map((v) => v.answer === 'no-answer')).toEqual([true, false]);
  });

  it('aborts a handler still deciding when the proposal closes, and emits the outcome', async () => {
    const signals: AbortSignal[] = [];
    client.onConsensus((request) => {
      signals.push(request.signal);
      return new Promise((resolve) => request.signal.addEventListener('abort', () => resolve('late')));
    });
    await client.connect();
    const sent = coordinator.requestConsensus();
    await waitUntil(() => signals.length === 1, 'the handler ran');
    const closed = nextEvent(client, 'consensus-closed');
    coordinator.closeConsensus({ proposal_id: sent.proposal_id, swarm_id: 'swarm-a', status: 'decided', value: 'b', reason: null, confidence: 1 });
    expect(await closed).toEqual([{ proposalId: sent.proposal_id, swarmId: 'swarm-a', status: 'decided', value: 'b', reason: null, confidence: 1 }]);
    expect(signals[0].aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(coordinator.votes).toHaveLength(0);
  });

  it('allows one consensus handler', () => {
    client.onConsensus(() => 'a');
    expect(() => client.onConsensus(() => 'b')).toThrow('a consensus handler is already registered');
  });
});
