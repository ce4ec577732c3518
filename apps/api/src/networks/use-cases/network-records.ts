import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService, Swarm } from '@swarm/db';
import { AgentStatus, NotFound, SwarmStatus, SwarmTopology, TaskStatus } from '@swarm/domain';

export type AgentNetwork = Prisma.AgentNetworkGetPayload<object>;
export type NetworkExecution = Prisma.NetworkExecutionGetPayload<object>;

export interface NetworkMember {
  agentId: string;
  status: AgentStatus;
}

export interface LoadedNetwork {
  network: AgentNetwork;
  swarm: Swarm;
  /** Active members of the backing swarm, in the order they joined. */
  members: NetworkMember[];
}

export interface NetworkSummary {
  networkId: string;
  swarm: { id: string; status: SwarmStatus; topology: SwarmTopology };
  /** One per active member of the backing swarm. */
  memberStatuses: AgentStatus[];
}

/** Subtask counts of one execution, by status. */
export interface ExecutionCounts {
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
  active: number;
  waiting: number;
}

export type ExecutionStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/**
 * What an execution is, from its subtasks: finished once every subtask is final (completed only
 * if all completed; failed if any failed or timed out), running once any subtask started.
 */
export function executionStatus(counts: ExecutionCounts): ExecutionStatus {
  const final = counts.completed + counts.failed + counts.cancelled;
  if (counts.total > 0 && final === counts.total) {
    if (counts.completed === counts.total) return 'completed';
    return counts.failed > 0 ? 'failed' : 'cancelled';
  }
  return counts.active > 0 || final > 0 ? 'running' : 'queued';
}

export function countStatuses(statuses: TaskStatus[]): ExecutionCounts {
  const counts: ExecutionCounts = { total: statuses.length, completed: 0, failed: 0, cancelled: 0, active: 0, waiting: 0 };
  for (const status of statuses) {
    if (status === 'completed') counts.completed++;
    else if (status === 'failed' || status === 'timed_out') counts.failed++;
    else if (status === 'cancelled') counts.cancelled++;
    else if (status === 'assigned' || status === 'running') counts.active++;
    else counts.waiting++;
  }
  return counts;
}

/** Reads networks and their executions, always scoped to the owner: another owner's reads as absent. */
@Injectable()
export class NetworkRecords {
  constructor(private readonly prisma: PrismaService) {}

  async load(ownerId: string, networkId: string, db: Prisma.TransactionClient = this.prisma): Promise<LoadedNetwork> {
    const found = await db.agentNetwork.findFirst({
      where: { id: networkId, ownerId },
      include: {
        swarm: {
          include: {
            memberships: {
              where: { status: 'active' },
              orderBy: [{ joinedAt: 'asc' }, { agentId: 'asc' }],
              select: { agentId: true, agent: { select: { status: true } } },
            },
          },
        },
      },
    });
    if (!found) throw new NotFound('network', networkId);
    const { swarm, ...network } = found;
    const { memberships, ...swarmRow } = swarm;
    return { network, swarm: swarmRow, members: memberships.map((m) => ({ agentId: m.agentId, status: m.agent.status })) };
  }

  /**
   * What a status read needs of a network, in one statement (load takes a round trip per
   * relation): its backing swarm's state and the statuses of its active members.
   */
  async summary(ownerId: string, networkId: string): Promise<NetworkSummary> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string; swarm_id: string; status: SwarmStatus; topology: SwarmTopology; statuses: AgentStatus[] }>>`
      SELECT n.id, s.id AS swarm_id, s.status::text AS status, s.topology::text AS topology,
        -- In join order, as load lists the members.
        coalesce(array_agg(a.status::text ORDER BY m.joined_at, m.agent_id) FILTER (WHERE a.id IS NOT NULL), '{}') AS statuses
      FROM agent_networks n
      JOIN swarms s ON s.id = n.swarm_id
      LEFT JOIN swarm_memberships m ON m.swarm_id = s.id AND m.status = 'active'
      LEFT JOIN agents a ON a.id = m.agent_id
      WHERE n.id = ${networkId}::uuid AND n.owner_id = ${ownerId}::uuid
      GROUP BY n.id, s.id`;
    const row = rows[0];
    if (!row) throw new NotFound('network', networkId);
    return { networkId: row.id, swarm: { id: row.swarm_id, status: row.status, topology: row.topology }, memberStatuses: row.statuses };
  }

  async list(ownerId: string, limit: number): Promise<LoadedNetwork[]> {
    const rows = await this.prisma.agentNetwork.findMany({ where: { ownerId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit, select: { id: true } });
    return Promise.all(rows.map((r) => this.load(ownerId, r.id)));
  }

  async findExecution(networkId: string, executionId: string): Promise<NetworkExecution> {
    const execution = await this.prisma.networkExecution.findFirst({ where: { id: executionId, networkId } });
    if (!execution) throw new NotFound('execution', executionId);
    return execution;
  }

  /** Subtask counts of every execution of the network, in one query. */
  async executionCounts(networkId: string): Promise<Map<string, ExecutionCounts>> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string; statuses: TaskStatus[] }>>`
      SELECT e.id, coalesce(array_agg(t.status::text) FILTER (WHERE t.id IS NOT NULL), '{}') AS statuses
      FROM network_executions e
      LEFT JOIN tasks t ON t.id = ANY(e.task_ids)
      WHERE e.network_id = ${networkId}::uuid
      GROUP BY e.id`;
    return new Map(rows.map((r) => [r.id, countStatuses(r.statuses)]));
  }
}
