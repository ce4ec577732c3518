import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client';
import { Page, PageRequest, toPage } from '../paging';
import { RawSql, Sql } from '../sql';

export type ProposalStatusValue = 'open' | 'decided' | 'not_reached' | 'cancelled';

/** A consensus_proposals row, camelCased, with its votes. */
export interface ProposalRow {
  id: string;
  ownerId: string;
  swarmId: string;
  question: string;
  options: unknown[] | null;
  algorithm: 'majority' | 'super_majority' | 'unanimous' | 'weighted' | 'delegated';
  threshold: number | null;
  quorum: number | null;
  weights: Record<string, number> | null;
  successRates: Record<string, number> | null;
  participants: string[];
  status: ProposalStatusValue;
  decidedValue: unknown;
  outcomeReason: string | null;
  confidence: number | null;
  participation: number | null;
  tally: unknown;
  deadlineAt: Date;
  createdAt: Date;
  decidedAt: Date | null;
  /** In the order cast; empty where a listing does not read them. */
  votes: VoteRow[];
}

/** A consensus_votes row: a vote (value) or a delegation (delegateAgentId, value null). */
export interface VoteRow {
  agentId: string;
  value: unknown;
  weight: number;
  delegateAgentId: string | null;
  castAt: Date;
}

type RawProposal = Omit<ProposalRow, 'votes'> & { votes?: Array<Omit<VoteRow, 'castAt'> & { castAt: string }> };

function toProposal({ votes, ...row }: RawProposal): ProposalRow {
  return { ...row, votes: (votes ?? []).map((v) => ({ ...v, castAt: new Date(v.castAt) })) };
}

/** What recordVotes found: the proposal gone or closed (nothing recorded), or open with every vote listed (complete) or possibly not. */
export type RecordedVotes =
  | { state: 'missing' }
  | { state: 'closed' }
  | { state: 'open'; version: number; complete: boolean; votes: Array<VoteRow & { fresh: boolean }> };

export type NewProposal = Omit<ProposalRow, 'status' | 'decidedValue' | 'outcomeReason' | 'confidence' | 'participation' | 'tally' | 'decidedAt' | 'votes'>;

export interface ProposalClosing {
  status: Exclude<ProposalStatusValue, 'open'>;
  decidedValue: unknown;
  outcomeReason: string | null;
  confidence: number;
  participation: number;
  tally: unknown;
  decidedAt: Date;
}

export interface ConsensusEventEntry {
  swarmId: string;
  ownerId: string;
  type: string;
  agentId: string | null;
  data: Record<string, unknown>;
}

export interface StoredConsensusEvent extends ConsensusEventEntry {
  id: bigint;
  taskId: null;
  createdAt: Date;
}

export interface ProposalFilter {
  swarmId?: string;
  status?: ProposalStatusValue;
}

export interface ConsensusMetricsRow {
  open: number;
  decided: number;
  notReached: number;
  cancelled: number;
  p50: number | null;
  p99: number | null;
  mean: number | null;
  reasons: Record<string, number>;
}

const PROPOSAL_COLUMNS = Prisma.sql`
  id, owner_id AS "ownerId", swarm_id AS "swarmId", question, options, algorithm::text AS algorithm, threshold, quorum, weights,
  success_rates AS "successRates", participants, status::text AS status, decided_value AS "decidedValue", outcome_reason AS "outcomeReason",
  confidence, participation, tally, deadline_at AS "deadlineAt", created_at AS "createdAt", decided_at AS "decidedAt"`;

/** The proposal's votes as one JSON column, in the order cast (p is the proposal). */
const VOTES_COLUMN = Prisma.sql`
  COALESCE((SELECT json_agg(json_build_object('agentId', v.agent_id, 'value', v.value, 'weight', v.weight, 'delegateAgentId', v.delegate_agent_id, 'castAt', v.cast_at)
            ORDER BY v.cast_at, v.id) FROM consensus_votes v WHERE v.proposal_id = p.id), '[]'::json) AS votes`;

/** JSON for a jsonb parameter; SQL NULL for an absent value (a JSON null is stored as the text 'null'). */
const jsonParam = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/**
 * Consensus proposals and their votes, in plain SQL on the pg pool: votes are the hot path (a
 * few statements each, several agents at once), and Prisma's per-statement overhead would be
 * most of their cost. Every read for a caller is owner-scoped. Statements are few on purpose:
 * on a busy host each one's round trip and socket write is a large part of a vote's cost.
 */
@Injectable()
export class ConsensusRepository {
  constructor(private readonly sql: Sql) {}

  /** The proposal and the event announcing it, in one statement (atomic on its own). */
  async insertProposal(proposal: NewProposal, event: ConsensusEventEntry): Promise<StoredConsensusEvent> {
    const [stored] = await this.sql.direct.$queryRaw<Array<{ id: bigint; created_at: Date }>>`
      WITH proposal AS (
        INSERT INTO consensus_proposals (id, owner_id, swarm_id, question, options, algorithm, threshold, quorum, weights, success_rates, participants, deadline_at, created_at)
        VALUES (${proposal.id}::uuid, ${proposal.ownerId}::uuid, ${proposal.swarmId}::uuid, ${proposal.question}, ${jsonParam(proposal.options ?? undefined)}::jsonb,
                ${proposal.algorithm}::consensus_algorithm, ${proposal.threshold}, ${proposal.quorum}, ${jsonParam(proposal.weights ?? undefined)}::jsonb,
                ${jsonParam(proposal.successRates ?? undefined)}::jsonb, ${proposal.participants}::text[], ${proposal.deadlineAt}, ${proposal.createdAt})
        RETURNING id
      )
      INSERT INTO swarm_events (swarm_id, owner_id, type, agent_id, data)
      SELECT ${event.swarmId}::uuid, ${event.ownerId}::uuid, ${event.type}, ${event.agentId}::uuid, ${JSON.stringify(event.data)}::jsonb FROM proposal
      RETURNING id, created_at`;
    return { ...event, id: stored.id, taskId: null, createdAt: stored.created_at };
  }

  /** The owner's proposal with its votes, in one consistent read. */
  async findForOwner(ownerId: string, id: string): Promise<ProposalRow | null> {
    const rows = await this.sql.direct.$queryRaw<RawProposal[]>`
      SELECT ${PROPOSAL_COLUMNS}, ${VOTES_COLUMN} FROM consensus_proposals p WHERE p.id = ${id}::uuid AND p.owner_id = ${ownerId}::uuid`;
    return rows[0] ? toProposal(rows[0]) : null;
  }

  /** Newest first, keyset-paged on the (time-ordered) id; without votes. */
  async listForOwner(ownerId: string, filter: ProposalFilter, page: PageRequest): Promise<Page<ProposalRow>> {
    const rows = await this.sql.direct.$queryRaw<RawProposal[]>`
      SELECT ${PROPOSAL_COLUMNS} FROM consensus_proposals
      WHERE owner_id = ${ownerId}::uuid
        ${filter.swarmId ? Prisma.sql`AND swarm_id = ${filter.swarmId}::uuid` : Prisma.empty}
        ${filter.status ? Prisma.sql`AND status = ${filter.status}::proposal_status` : Prisma.empty}
        ${page.cursor ? Prisma.sql`AND id < ${page.cursor}::uuid` : Prisma.empty}
      ORDER BY id DESC LIMIT ${page.limit + 1}`;
    return toPage(rows.map(toProposal), page.limit);
  }

  /**
   * The proposal row-locked until the transaction ends, for recording votes and for a close:
   * whoever takes it next sees every vote committed before, and a vote after a close sees the
   * proposal closed. Read the votes after this, in another statement: one that began before the
   * wait would not see the votes it waited for.
   */
  async lock(tx: RawSql, id: string): Promise<ProposalRow | null> {
    const rows = await tx.$queryRaw<RawProposal[]>`SELECT ${PROPOSAL_COLUMNS} FROM consensus_proposals WHERE id = ${id}::uuid FOR UPDATE`;
    return rows[0] ? toProposal(rows[0]) : null;
  }

  /** In the order cast; outside a transaction by default. */
  listVotes(proposalId: string, db: RawSql = this.sql.direct): Promise<VoteRow[]> {
    return db.$queryRaw<VoteRow[]>`
      SELECT agent_id AS "agentId", value, weight, delegate_agent_id AS "delegateAgentId", cast_at AS "castAt"
      FROM consensus_votes WHERE proposal_id = ${proposalId}::uuid ORDER BY cast_at, id`;
  }

  /**
   * Records each vote whose agent has none yet (the first of an agent's in `votes`, cast before
   * the deadline) if the proposal is open, and returns every vote in the order cast, the new ones
   * marked fresh: one statement, committed on its own. It bumps the proposal's votes_version,
   * which a later close can be guarded on (close with expectedVersion).
   *
   * `complete` says whether the votes returned are all there are. The statement's snapshot is
   * taken before it waits for the proposal's row; votes another statement committed meanwhile
   * are not in it, and that shows as a version more than one above the one the snapshot saw.
   */
  async recordVotes(proposalId: string, votes: Array<{ voteId: string; cast: VoteRow }>): Promise<RecordedVotes> {
    const rows = await this.sql.direct.$queryRaw<Array<{ version: number | null; seenVersion: number | null } & Partial<VoteRow> & { fresh: boolean | null }>>`
      WITH bumped AS (
        UPDATE consensus_proposals SET votes_version = votes_version + 1
        WHERE id = ${proposalId}::uuid AND status = 'open'
        RETURNING votes_version, deadline_at
      ), inserted AS (
        INSERT INTO consensus_votes (id, proposal_id, agent_id, value, weight, delegate_agent_id, cast_at)
        SELECT i.id, ${proposalId}::uuid, i.agent_id, i.value::jsonb, i.weight, i.delegate_agent_id, i.cast_at
        FROM bumped, unnest(${votes.map((v) => v.voteId)}::uuid[], ${votes.map((v) => v.cast.agentId)}::uuid[],
                    ${votes.map((v) => (v.cast.delegateAgentId === null ? jsonParam(v.cast.value) : null))}::text[], ${votes.map((v) => v.cast.weight)}::float8[],
                    ${votes.map((v) => v.cast.delegateAgentId)}::uuid[], ${votes.map((v) => v.cast.castAt)}::timestamptz[])
          WITH ORDINALITY AS i(id, agent_id, value, weight, delegate_agent_id, cast_at, n)
        WHERE i.cast_at < bumped.deadline_at
        ORDER BY i.n
        ON CONFLICT (proposal_id, agent_id) DO NOTHING
        RETURNING id, agent_id, value, weight, delegate_agent_id, cast_at
      ), head AS (
        SELECT (SELECT votes_version FROM bumped) AS version,
               (SELECT votes_version FROM consensus_proposals WHERE id = ${proposalId}::uuid) AS seen_version
      )
      SELECT head.version, head.seen_version AS "seenVersion", v.agent_id AS "agentId", v.value, v.weight, v.delegate_agent_id AS "delegateAgentId", v.cast_at AS "castAt", v.fresh
      FROM head LEFT JOIN (
        SELECT id, agent_id, value, weight, delegate_agent_id, cast_at, false AS fresh FROM consensus_votes WHERE proposal_id = ${proposalId}::uuid
        UNION ALL
        SELECT id, agent_id, value, weight, delegate_agent_id, cast_at, true AS fresh FROM inserted
      ) v ON (SELECT version FROM head) IS NOT NULL
      ORDER BY v.cast_at, v.id`;
    const head = rows[0];
    if (!head || head.seenVersion === null) return { state: 'missing' };
    if (head.version === null) return { state: 'closed' };
    const listed = rows
      .filter((r) => r.agentId !== null && r.agentId !== undefined)
      .map((r) => ({ agentId: r.agentId!, value: r.value, weight: r.weight!, delegateAgentId: r.delegateAgentId ?? null, castAt: r.castAt!, fresh: r.fresh === true }));
    return { state: 'open', version: head.version, complete: head.version === head.seenVersion + 1, votes: listed };
  }

  /**
   * Closes an open proposal and stores `events`, in one statement; null when it was not open
   * any more (another process closed it first): then nothing is written. Callers hold the lock,
   * or give the votes_version they tallied: then null also when votes came since.
   */
  async close(tx: RawSql, id: string, closing: ProposalClosing, events: ConsensusEventEntry[], expectedVersion?: number): Promise<StoredConsensusEvent[] | null> {
    const rows = await tx.$queryRaw<Array<{ id: bigint | null; created_at: Date | null }>>`
      WITH closed AS (
        UPDATE consensus_proposals
        SET status = ${closing.status}::proposal_status, decided_value = ${jsonParam(closing.decidedValue)}::jsonb, outcome_reason = ${closing.outcomeReason},
            confidence = ${closing.confidence}, participation = ${closing.participation}, tally = ${jsonParam(closing.tally)}::jsonb, decided_at = ${closing.decidedAt}
        WHERE id = ${id}::uuid AND status = 'open' ${expectedVersion === undefined ? Prisma.empty : Prisma.sql`AND votes_version = ${expectedVersion}`}
        RETURNING id
      ), stored AS (
        INSERT INTO swarm_events (swarm_id, owner_id, type, agent_id, data)
        SELECT i.swarm_id, i.owner_id, i.type, i.agent_id, i.data::jsonb
        FROM closed, unnest(${events.map((e) => e.swarmId)}::uuid[], ${events.map((e) => e.ownerId)}::uuid[], ${events.map((e) => e.type)}::text[],
                            ${events.map((e) => e.agentId)}::uuid[], ${events.map((e) => JSON.stringify(e.data))}::text[])
          WITH ORDINALITY AS i(swarm_id, owner_id, type, agent_id, data, n)
        ORDER BY i.n
        RETURNING id, created_at
      )
      SELECT stored.id, stored.created_at FROM closed LEFT JOIN stored ON true ORDER BY stored.id`;
    if (rows.length === 0) return null;
    return rows.filter((r) => r.id !== null).map((r, i) => ({ ...events[i], id: r.id!, taskId: null, createdAt: r.created_at! }));
  }

  /** Open proposals whose deadline has passed, oldest deadline first. */
  async overdue(now: Date, limit: number): Promise<string[]> {
    const rows = await this.sql.direct.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM consensus_proposals WHERE status = 'open' AND deadline_at <= ${now} ORDER BY deadline_at LIMIT ${limit}`;
    return rows.map((r) => r.id);
  }

  async appendEvents(db: RawSql, events: ConsensusEventEntry[]): Promise<StoredConsensusEvent[]> {
    if (events.length === 0) return [];
    const stored = await db.$queryRaw<Array<{ id: bigint; created_at: Date }>>`
      INSERT INTO swarm_events (swarm_id, owner_id, type, agent_id, data)
      SELECT i.swarm_id, i.owner_id, i.type, i.agent_id, i.data::jsonb
      FROM unnest(${events.map((e) => e.swarmId)}::uuid[], ${events.map((e) => e.ownerId)}::uuid[], ${events.map((e) => e.type)}::text[],
                  ${events.map((e) => e.agentId)}::uuid[], ${events.map((e) => JSON.stringify(e.data))}::text[])
        WITH ORDINALITY AS i(swarm_id, owner_id, type, agent_id, data, n)
      ORDER BY i.n
      RETURNING id, created_at`;
    return events.map((e, i) => ({ ...e, id: stored[i].id, taskId: null, createdAt: stored[i].created_at }));
  }

  /** Active members of the owner's swarm with their agent's status; null when the swarm is not the owner's. */
  async swarmMembers(ownerId: string, swarmId: string): Promise<{ status: string; members: Array<{ agentId: string; agentStatus: string }> } | null> {
    const rows = await this.sql.direct.$queryRaw<Array<{ status: string; members: Array<{ agentId: string; agentStatus: string }> }>>`
      SELECT s.status::text AS status,
        COALESCE((SELECT json_agg(json_build_object('agentId', m.agent_id, 'agentStatus', a.status) ORDER BY m.joined_at, m.agent_id)
                  FROM swarm_memberships m JOIN agents a ON a.id = m.agent_id
                  WHERE m.swarm_id = s.id AND m.status = 'active'), '[]'::json) AS members
      FROM swarms s WHERE s.id = ${swarmId}::uuid AND s.owner_id = ${ownerId}::uuid`;
    return rows[0] ?? null;
  }

  /** Each agent's success rate averaged over the task types it has run; agents without history are absent. */
  async successRates(agentIds: string[]): Promise<Record<string, number>> {
    if (agentIds.length === 0) return {};
    const rows = await this.sql.direct.$queryRaw<Array<{ agentId: string; rate: number }>>`
      SELECT agent_id AS "agentId", avg(success_rate_ewma)::float8 AS rate FROM agent_task_stats
      WHERE agent_id = ANY(${agentIds}::uuid[]) GROUP BY agent_id`;
    return Object.fromEntries(rows.map((r) => [r.agentId, Math.min(1, Math.max(0, r.rate))]));
  }

  /** Counts by status and decision-time percentiles of the owner's proposals created since `from`. */
  async metrics(ownerId: string, swarmId: string | undefined, from: Date, to: Date): Promise<ConsensusMetricsRow> {
    const swarm = swarmId ? Prisma.sql`AND swarm_id = ${swarmId}::uuid` : Prisma.empty;
    const [row] = await this.sql.direct.$queryRaw<Array<Omit<ConsensusMetricsRow, 'reasons'> & { reasons: Record<string, number> | null }>>`
      WITH scoped AS (
        SELECT status, outcome_reason, extract(epoch FROM decided_at - created_at) * 1000 AS decision_ms
        FROM consensus_proposals WHERE owner_id = ${ownerId}::uuid AND created_at >= ${from} AND created_at < ${to} ${swarm}
      )
      SELECT
        count(*) FILTER (WHERE status = 'open')::int AS open,
        count(*) FILTER (WHERE status = 'decided')::int AS decided,
        count(*) FILTER (WHERE status = 'not_reached')::int AS "notReached",
        count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
        (percentile_cont(0.5) WITHIN GROUP (ORDER BY decision_ms) FILTER (WHERE status = 'decided'))::float8 AS p50,
        (percentile_cont(0.99) WITHIN GROUP (ORDER BY decision_ms) FILTER (WHERE status = 'decided'))::float8 AS p99,
        (avg(decision_ms) FILTER (WHERE status = 'decided'))::float8 AS mean,
        (SELECT jsonb_object_agg(outcome_reason, n) FROM (
           SELECT outcome_reason, count(*)::int AS n FROM scoped WHERE status = 'not_reached' AND outcome_reason IS NOT NULL GROUP BY outcome_reason) r) AS reasons
      FROM scoped`;
    return { ...row, reasons: row.reasons ?? {} };
  }
}
