import { jsonEquals } from '../consensus/canonical-json';
import { Conflict } from '../errors/domain-error';
import { TaskStatus } from './task.types';

/** Verification tasks are of the led task's type with this suffix, so agents can tell the two apart. */
export const VERIFY_TASK_SUFFIX = '.verify';
/** A leader with nobody to check its work is not a leader-election: at least one verifier. */
export const LEADER_ELECTION_COLLABORATORS = { min: 2, max: 10 } as const;

export type VerifierVerdict = 'approved' | 'rejected';

export interface VerifierState {
  agent_id: string;
  /** Null until the leader's result is in and the verification task is made. */
  task_id: string | null;
  status: TaskStatus | 'waiting';
  verdict: VerifierVerdict | null;
  reason: string | null;
}

/** A leader that ran the task and failed, or was lost before it finished. */
export interface FormerLeader {
  agent_id: string;
  task_id: string;
  reason: string;
}

/**
 * Leader-elected execution, stored on the parent task: the elected leader runs the task, the
 * other collaborators then check its result. Ranked best first at submit: when a leader fails
 * or is lost, the next verifier in this order takes over.
 */
export interface LeaderVerificationSpec {
  collaborators: string[];
  leader: string;
  leader_task_id: string;
  election: LeaderElectionRecord;
  former_leaders: FormerLeader[];
  verifiers: VerifierState[];
}

export interface LeaderCandidateStats {
  agentId: string;
  /** Smoothed success rate on this task type; null when it never ran one. */
  successRate: number | null;
  /** Attempts it holds now. */
  load: number;
}

export interface LeaderElectionRecord {
  leader: string;
  /** Why it won, readable. */
  reason: string;
  ranking: Array<{ agent_id: string; success_rate: number | null; load: number }>;
}

/**
 * Ranks collaborators for leadership: the best measured success rate on this task type first
 * (an agent that never ran one counts as 1, as in the weighted vote, so newcomers are not
 * shut out), then the least loaded, then by id so the choice is reproducible.
 */
export function rankLeaderCandidates(candidates: LeaderCandidateStats[]): LeaderElectionRecord {
  if (candidates.length === 0) throw new Conflict('no collaborator to elect a leader from');
  const rate = (c: LeaderCandidateStats) => c.successRate ?? 1;
  const ranked = [...candidates].sort((a, b) => rate(b) - rate(a) || a.load - b.load || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  const [best, second] = ranked;
  let reason = 'the only collaborator';
  if (second) {
    if (rate(best) !== rate(second)) reason = `highest success rate on this task type (${rate(best).toFixed(2)} vs ${rate(second).toFixed(2)})`;
    else if (best.load !== second.load) reason = `equal success rate, least loaded (${best.load} attempts vs ${second.load})`;
    else reason = 'equal success rate and load: lowest id';
  }
  return { leader: best.agentId, reason, ranking: ranked.map((c) => ({ agent_id: c.agentId, success_rate: c.successRate, load: c.load })) };
}

/**
 * What a verifier's result says about the leader's. An explicit verdict ({verified: bool} or
 * {approved: bool}, optional reason) is taken as given; any other result is the verifier's own
 * run of the task, which approves when it equals the leader's (canonical JSON).
 */
export function verdictOf(leaderResult: unknown, verifierResult: unknown): { verdict: VerifierVerdict; reason: string | null } {
  if (verifierResult !== null && typeof verifierResult === 'object' && !Array.isArray(verifierResult)) {
    const fields = verifierResult as Record<string, unknown>;
    const explicit = typeof fields.verified === 'boolean' ? fields.verified : typeof fields.approved === 'boolean' ? fields.approved : undefined;
    if (explicit !== undefined) {
      const reason = typeof fields.reason === 'string' ? fields.reason.slice(0, 500) : null;
      return { verdict: explicit ? 'approved' : 'rejected', reason };
    }
  }
  if (jsonEquals(leaderResult, verifierResult)) return { verdict: 'approved', reason: null };
  return { verdict: 'rejected', reason: "its own result differs from the leader's" };
}

export type VerificationDecision = { state: 'pending' } | { state: 'completed'; approvals: number; needed: number } | { state: 'failed'; error: string };

/**
 * The leader's result stands once a strict majority of its verifiers approve it, and falls
 * once that majority can no longer be reached (rejections, and verifiers whose task failed,
 * count against). Decided as early as that is certain.
 */
export function decideVerification(spec: LeaderVerificationSpec): VerificationDecision {
  const total = spec.verifiers.length;
  if (total === 0) return { state: 'failed', error: `no collaborator is left to verify the result of leader ${spec.leader}` };
  const needed = Math.floor(total / 2) + 1;
  const approvals = spec.verifiers.filter((v) => v.verdict === 'approved').length;
  const open = spec.verifiers.filter((v) => v.verdict === null && !isFinal(v.status)).length;
  if (approvals >= needed) return { state: 'completed', approvals, needed };
  if (approvals + open < needed) {
    const rejected = spec.verifiers.filter((v) => v.verdict === 'rejected');
    const unable = spec.verifiers.filter((v) => v.verdict === null && isFinal(v.status));
    const first = rejected.find((v) => v.reason);
    const firstUnable = unable.find((v) => v.reason);
    const why = [
      rejected.length > 0 ? `${rejected.length} rejected it${first ? ` (${first.agent_id}: ${first.reason})` : ''}` : null,
      unable.length > 0 ? `${unable.length} could not check it${firstUnable ? ` (${firstUnable.agent_id}: ${firstUnable.reason})` : ''}` : null,
    ]
      .filter(Boolean)
      .join(', ');
    return { state: 'failed', error: `leader ${spec.leader}'s result was not verified: ${approvals} of ${total} verifiers approved, ${needed} needed; ${why}` };
  }
  return { state: 'pending' };
}

/** The verifier to lead next after the leader failed or was lost: the best ranked one still able to. */
export function nextLeader(spec: LeaderVerificationSpec, isLive: (agentId: string) => boolean): string | null {
  const tried = new Set([spec.leader, ...spec.former_leaders.map((f) => f.agent_id)]);
  const verifiers = new Set(spec.verifiers.map((v) => v.agent_id));
  return spec.collaborators.find((id) => !tried.has(id) && verifiers.has(id) && isLive(id)) ?? null;
}

/**
 * Hands leadership to `next`: the old leader is recorded as former with the reason, `next`
 * stops being a verifier. Mutates and returns the spec.
 */
export function handOverLeadership(spec: LeaderVerificationSpec, next: string, newTaskId: string, reason: string): LeaderVerificationSpec {
  spec.former_leaders.push({ agent_id: spec.leader, task_id: spec.leader_task_id, reason });
  spec.verifiers = spec.verifiers.filter((v) => v.agent_id !== next);
  spec.leader = next;
  spec.leader_task_id = newTaskId;
  spec.election = { ...spec.election, leader: next, reason: `took over: ${reason}` };
  return spec;
}

function isFinal(status: VerifierState['status']): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled' || status === 'timed_out';
}
