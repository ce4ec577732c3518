import { Injectable, Logger } from '@nestjs/common';
import { Agent, HistoryRepository, Prisma, PrismaService, SwarmEvent, SwarmMembership } from '@swarm/db';
import {
  AgentEventType,
  AgentHealthDecision,
  AgentStatus,
  decideAgentHealth,
  deriveSwarmHealth,
  isLive,
  readStoredConfiguration,
  DEFAULT_SWARM_CONFIGURATION,
  SwarmConfiguration,
  SwarmStatus,
} from '@swarm/domain';
import { AgentLive, AgentLiveState, SwarmEventBroadcaster, TaskDispatchStore } from '@swarm/messaging';
import { TaskEffects } from '@swarm/task-engine';
import { SwarmTopologySync, TopologyAnnouncer, TopologyChangeReason, TopologyTransitionResult } from '@swarm/topology';
import { InFlightWork } from './in-flight-work';

type Membership = SwarmMembership & {
  agent: Agent;
  swarm: { id: string; ownerId: string; configuration: Prisma.JsonValue; status: SwarmStatus; leaderAgentId: string | null };
};

const FULL_PASS_EVERY_MS = 30_000;

const MEMBERSHIP_INCLUDE = {
  agent: true,
  swarm: { select: { id: true, ownerId: true, configuration: true, status: true, leaderAgentId: true } },
} as const;

interface SweepCounts {
  agents: number;
  changes: number;
}

/**
 * Applies the health rules (libs/domain) to what Redis says about agents right now, and keeps
 * swarms' status and leader consistent with their members. Every state change is a conditional
 * update, so two workers acting on the same agent at once produce one change and one event.
 */
@Injectable()
export class AgentHealthService {
  private readonly logger = new Logger(AgentHealthService.name);
  private lastFullPassAt = 0;

  constructor(
    private readonly prisma: PrismaService,
    private readonly history: HistoryRepository,
    private readonly live: AgentLiveState,
    private readonly inFlight: InFlightWork,
    private readonly broadcaster: SwarmEventBroadcaster,
    private readonly dispatch: TaskDispatchStore,
    private readonly topology: SwarmTopologySync,
    private readonly announcer: TopologyAnnouncer,
  ) {}

  /**
   * The periodic pass. It loads only agents that may need a decision: those silent for longer
   * than the shortest heartbeat timeout of any swarm (from the Redis last-seen index) and those
   * not live (unhealthy, pending, stopped, starting). Every FULL_PASS_EVERY_MS it loads every
   * member instead, as a safety net for swarms whose status or leader drifted.
   */
  async sweep(now = Date.now()): Promise<SweepCounts> {
    const full = now - this.lastFullPassAt >= FULL_PASS_EVERY_MS;
    if (full) this.lastFullPassAt = now;
    const candidateFilter = full ? {} : await this.candidateFilter(now);
    const memberships = await this.prisma.swarmMembership.findMany({
      where: { status: 'active', swarm: { status: { not: 'terminated' } }, ...candidateFilter },
      include: MEMBERSHIP_INCLUDE,
    });
    const changedAgents = await this.evaluateAgents(memberships, now);
    const changes = changedAgents.size;
    const swarmIds = swarmsNeedingReconcile(memberships, changedAgents);
    const emptied = await this.prisma.swarm.findMany({
      where: { status: { in: ['active', 'degraded'] }, memberships: { none: { status: 'active' } } },
      select: { id: true },
    });
    for (const swarm of emptied) swarmIds.add(swarm.id);
    for (const swarmId of await this.live.takeSwarmsForReconcile()) swarmIds.add(swarmId);
    for (const swarmId of swarmIds) await this.reconcileSwarm(swarmId);
    return { agents: new Set(memberships.map((m) => m.agentId)).size, changes };
  }

  private async candidateFilter(now: number): Promise<Prisma.SwarmMembershipWhereInput> {
    const [{ min_timeout: minTimeout }] = await this.prisma.$queryRaw<{ min_timeout: number | null }[]>`
      SELECT min((configuration->>'heartbeat_timeout_ms')::int) AS min_timeout FROM swarms WHERE status <> 'terminated'`;
    const silent = await this.live.silentSince(now - (minTimeout ?? DEFAULT_SWARM_CONFIGURATION.heartbeat_timeout_ms));
    return { OR: [{ agentId: { in: silent } }, { agent: { status: { in: ['unhealthy', 'pending', 'stopped', 'starting'] } } }] };
  }

  /** A connection change reported by the gateway: evaluate that agent now, not at the next sweep. */
  async evaluateAgent(agentId: string, now = Date.now()): Promise<number> {
    const memberships = await this.prisma.swarmMembership.findMany({
      where: { agentId, status: 'active', swarm: { status: { not: 'terminated' } } },
      include: MEMBERSHIP_INCLUDE,
    });
    if (memberships.length === 0) {
      await this.activateSwarmless(agentId);
      return 0;
    }
    const changed = await this.evaluateAgents(memberships, now);
    // The agent's own change is recorded now; its swarms' leader and status follow at the next
    // sweep (within a second), once for however many agents changed meanwhile — a mass
    // reconnect would otherwise reconcile a large swarm once per agent.
    if (changed.size > 0) await this.live.markSwarmsForReconcile([...new Set(memberships.map((m) => m.swarmId))]);
    return changed.size;
  }

  /** Returns the agents whose status or memberships changed. */
  private async evaluateAgents(memberships: Membership[], now: number): Promise<Set<string>> {
    const byAgent = new Map<string, Membership[]>();
    for (const m of memberships) byAgent.set(m.agentId, [...(byAgent.get(m.agentId) ?? []), m]);
    const liveById = await this.live.read([...byAgent.keys()]);
    const changed = new Set<string>();
    for (const [agentId, agentMemberships] of byAgent) {
      const agent = agentMemberships[0].agent;
      const live = liveById.get(agentId)!;
      const configs = agentMemberships.map((m) => readStoredConfiguration(m.swarm.configuration));
      // One status per agent: the strictest swarm decides when it is unhealthy.
      const decision = decideAgentHealth({
        now,
        status: agent.status as AgentStatus,
        lastSeenAt: live.lastSeenAt,
        unhealthySince: agent.status === 'unhealthy' ? agent.statusChangedAt.getTime() : null,
        connected: live.connected,
        heartbeatTimeoutMs: Math.min(...configs.map((c) => c.heartbeat_timeout_ms)),
        failoverGraceMs: Infinity,
      });
      if (await this.applyAgentDecision(agent, agentMemberships, live, decision, now)) changed.add(agentId);
      if (agent.status === 'unhealthy' && decision.action === 'none') {
        if ((await this.removeExpired(agent, agentMemberships, configs, now)) > 0) changed.add(agentId);
      }
    }
    return changed;
  }

  private async applyAgentDecision(agent: Agent, memberships: Membership[], live: AgentLive, decision: AgentHealthDecision, now: number): Promise<boolean> {
    switch (decision.action) {
      case 'mark_unhealthy':
        return this.markUnhealthy(agent, memberships, live, decision.reason, now);
      case 'recover':
        return this.transition(agent, memberships, ['unhealthy'], reportedStatus(live), AgentEventType.Recovered, { last_seen_at: iso(live.lastSeenAt) });
      case 'activate':
        return this.transition(agent, memberships, ['pending', 'stopped'], reportedStatus(live), AgentEventType.Connected, {});
      default:
        return false;
    }
  }

  private async markUnhealthy(agent: Agent, memberships: Membership[], live: AgentLive, reason: string, now: number): Promise<boolean> {
    const events: SwarmEvent[] = [];
    const effects = new TaskEffects();
    const changed = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.agent.updateMany({
        where: { id: agent.id, status: { in: ['starting', 'idle', 'busy'] } },
        data: { status: 'unhealthy', statusChangedAt: new Date(now) },
      });
      if (count === 0) return false;
      const released = await this.inFlight.release(tx, agent.id, `agent ${agent.id} failed (${reason})`, effects);
      for (const m of memberships) {
        events.push(
          await this.history.appendSwarmEvent(tx, {
            swarmId: m.swarmId,
            ownerId: m.swarm.ownerId,
            type: AgentEventType.Failed,
            agentId: agent.id,
            data: { reason, last_seen_at: iso(live.lastSeenAt), tasks_released: released },
          }),
        );
      }
      return true;
    });
    this.broadcaster.broadcast(events);
    // No more work for it, even from a roster cached a moment ago (a frozen agent stays connected).
    if (changed) await this.dispatch.rosterChanged(memberships.map((m) => m.swarmId));
    if (changed) await this.inFlight.apply(agent.id, effects);
    if (changed) this.logger.warn({ agentId: agent.id, reason }, 'agent failed');
    return changed;
  }

  private async transition(
    agent: Agent,
    memberships: Membership[],
    from: AgentStatus[],
    to: AgentStatus,
    eventType: string,
    data: Record<string, unknown>,
  ): Promise<boolean> {
    const events: SwarmEvent[] = [];
    const changed = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.agent.updateMany({
        where: { id: agent.id, status: { in: from } },
        data: { status: to, statusChangedAt: new Date(), stoppedAt: null },
      });
      if (count === 0) return false;
      for (const m of memberships) {
        events.push(await this.history.appendSwarmEvent(tx, { swarmId: m.swarmId, ownerId: m.swarm.ownerId, type: eventType, agentId: agent.id, data: { ...data, status: to } }));
      }
      return true;
    });
    this.broadcaster.broadcast(events);
    // A live agent again: work may be waiting for it (rosterChanged, not signal: distributors
    // must not plan with a roster cached before this change).
    if (changed) await this.dispatch.rosterChanged(memberships.map((m) => m.swarmId));
    if (changed) this.logger.log({ agentId: agent.id, from: agent.status, to }, eventType);
    return changed;
  }

  /** Unhealthy past a swarm's grace: the agent leaves that swarm; with no swarm left it is stopped. */
  private async removeExpired(agent: Agent, memberships: Membership[], configs: SwarmConfiguration[], now: number): Promise<number> {
    const since = agent.statusChangedAt.getTime();
    const expired = memberships.filter((_, i) => now - since > configs[i].failover_grace_ms);
    if (expired.length === 0) return 0;
    const events: SwarmEvent[] = [];
    const removed = await this.prisma.$transaction(async (tx) => {
      let count = 0;
      for (const m of expired) {
        const left = await tx.swarmMembership.updateMany({ where: { id: m.id, status: 'active' }, data: { status: 'left', leftAt: new Date(now) } });
        if (left.count === 0) continue;
        count++;
        await tx.swarm.updateMany({ where: { id: m.swarmId, leaderAgentId: agent.id }, data: { leaderAgentId: null } });
        events.push(
          await this.history.appendSwarmEvent(tx, {
            swarmId: m.swarmId,
            ownerId: m.swarm.ownerId,
            type: AgentEventType.Left,
            agentId: agent.id,
            data: { reason: 'failover_grace_expired', unhealthy_since: new Date(since).toISOString() },
          }),
        );
      }
      const remaining = await tx.swarmMembership.count({ where: { agentId: agent.id, status: 'active' } });
      let stopped = false;
      if (count > 0 && remaining === 0) {
        const update = await tx.agent.updateMany({ where: { id: agent.id, status: 'unhealthy' }, data: { status: 'stopped', statusChangedAt: new Date(now), stoppedAt: new Date(now) } });
        stopped = update.count === 1;
      }
      return { count, stopped };
    });
    // A stopped agent leaves the last-seen index, so sweeps stop looking at it.
    if (removed.stopped) await this.live.forget(agent.id);
    this.broadcaster.broadcast(events);
    if (removed.count > 0) this.logger.warn({ agentId: agent.id, swarms: expired.map((m) => m.swarmId) }, 'agent removed after failover grace');
    return removed.count;
  }

  /** An agent in no swarm only needs its own status right. */
  private async activateSwarmless(agentId: string): Promise<void> {
    const [live] = [...(await this.live.read([agentId])).values()];
    const target: AgentStatus = live.connected ? reportedStatus(live) : 'unhealthy';
    const from: AgentStatus[] = live.connected ? ['pending', 'stopped', 'unhealthy'] : ['starting', 'idle', 'busy'];
    await this.prisma.agent.updateMany({ where: { id: agentId, status: { in: from } }, data: { status: target, statusChangedAt: new Date() } });
  }

  /**
   * Topology (roles, links, leader) and status of one swarm, from its members' current
   * statuses. The swarm row is locked, so two workers repairing it at once take turns.
   */
  async reconcileSwarm(swarmId: string, reason: TopologyChangeReason = 'member_health_changed'): Promise<void> {
    const events: SwarmEvent[] = [];
    let transition: TopologyTransitionResult | null = null;
    await this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM swarms WHERE id = ${swarmId}::uuid AND status <> 'terminated' FOR UPDATE`;
      if (locked.length === 0) return;
      const swarm = (await tx.swarm.findUnique({
        where: { id: swarmId },
        select: { id: true, ownerId: true, topology: true, configuration: true, leaderAgentId: true, topologyState: true, status: true },
      }))!;
      transition = await this.topology.apply(tx, swarm, reason, async (ids) => {
        const liveState = await this.live.read(ids);
        return new Map(ids.map((id) => [id, liveState.get(id)?.cpuPercent ?? null]));
      });
      events.push(...transition.events);
      const health = deriveSwarmHealth({
        status: swarm.status,
        minAgents: readStoredConfiguration(swarm.configuration).min_agents,
        memberStatuses: transition.layout.nodes.map((n) => n.status),
        hasLeader: transition.layout.leaderId !== null,
      });
      if (health.status !== swarm.status) {
        await tx.swarm.update({ where: { id: swarmId }, data: { status: health.status } });
        events.push(
          await this.history.appendSwarmEvent(tx, {
            swarmId,
            ownerId: swarm.ownerId,
            type: AgentEventType.SwarmStatusChanged,
            data: { from: swarm.status, to: health.status, reasons: health.reasons },
          }),
        );
      }
    });
    if (transition) await this.announcer.announce(swarmId, { ...(transition as TopologyTransitionResult), events });
  }
}

/**
 * Swarms whose leader or status may be wrong: those with a member that just changed, and those
 * whose stored status or leader disagrees with their members. In a steady state: none, so a
 * quiet sweep writes nothing.
 */
function swarmsNeedingReconcile(memberships: Membership[], changedAgents: Set<string>): Set<string> {
  const bySwarm = new Map<string, Membership[]>();
  for (const m of memberships) bySwarm.set(m.swarmId, [...(bySwarm.get(m.swarmId) ?? []), m]);
  const needing = new Set<string>();
  for (const [swarmId, members] of bySwarm) {
    const swarm = members[0].swarm;
    if (members.some((m) => changedAgents.has(m.agentId))) {
      needing.add(swarmId);
      continue;
    }
    const leader = members.find((m) => m.agentId === swarm.leaderAgentId);
    const anyLive = members.some((m) => isLive(m.agent.status as AgentStatus));
    const leaderWrong = leader ? !isLive(leader.agent.status as AgentStatus) && anyLive : swarm.leaderAgentId !== null || anyLive;
    const derived = deriveSwarmHealth({
      status: swarm.status,
      minAgents: readStoredConfiguration(swarm.configuration).min_agents,
      memberStatuses: members.map((m) => m.agent.status as AgentStatus),
      hasLeader: swarm.leaderAgentId !== null,
    });
    if (leaderWrong || derived.status !== swarm.status) needing.add(swarmId);
  }
  return needing;
}

function reportedStatus(live: AgentLive): AgentStatus {
  return live.reportedStatus === 'busy' || live.reportedStatus === 'starting' ? live.reportedStatus : 'idle';
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
