import { Inject, Injectable } from '@nestjs/common';
import type { HeartbeatPayload } from '../../contracts/src/agent-socket';
import { HEARTBEAT_STREAM_MAX_LENGTH, RedisKeys } from './redis-keys';
import { REDIS_KEYS, RedisService } from './redis.module';

/** An agent's hot state as kept in Redis (what Postgres would be too slow to hold per beat). */
export interface AgentLive {
  connected: boolean;
  lastSeenAt: number | null;
  reportedStatus: string | null;
  cpuPercent: number | null;
  memoryMb: number | null;
  queueDepth: number | null;
  currentTaskId: string | null;
}

/** One heartbeat as read back from the stream by the persister. */
export interface StreamedHeartbeat {
  entryId: string;
  agentId: string;
  at: number;
  status: string;
  cpuPercent: number | null;
  memoryMb: number | null;
  queueDepth: number | null;
  currentTaskId: string | null;
}

// Marks disconnected only if the socket that left is still the agent's current one: a
// reconnect that raced ahead (new socket registered first) must not be undone.
const MARK_DISCONNECTED = `
if redis.call('HGET', KEYS[1], 'socket') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'connected', '0', 'disconnected_at', ARGV[2])
  return 1
end
return 0`;

// One command per beat: hot state, last-seen index and stream entry, atomically. A script
// instead of a pipeline because a pipeline object per beat was the heartbeat path's largest
// allocation (see docs/BENCHMARKS.md).
const RECORD_HEARTBEAT = `
redis.call('HSET', KEYS[1], 'last_seen', ARGV[2], 'status', ARGV[3], 'cpu', ARGV[4], 'mem', ARGV[5], 'queue', ARGV[6], 'task', ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*', 'agent', ARGV[1], 'at', ARGV[2], 'status', ARGV[3], 'cpu', ARGV[4], 'mem', ARGV[5], 'queue', ARGV[6], 'task', ARGV[7])
return 1`;

type RecordHeartbeatCommand = (
  agentKey: string, lastSeenKey: string, streamKey: string,
  agentId: string, at: string, status: string, cpu: string, mem: string, queue: string, task: string, maxLength: string,
) => Promise<number>;

const numberOrNull = (value: string | undefined) => (value === undefined || value === '' ? null : Number(value));

/**
 * Reads and writes agents' hot state: one hash per agent, a sorted set of last-seen times,
 * and the heartbeat stream. Each heartbeat is one round trip (a pipeline), never Postgres.
 */
@Injectable()
export class AgentLiveState {
  private readonly recordHeartbeatScript: RecordHeartbeatCommand;

  constructor(
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
  ) {
    redis.client.defineCommand('swarmRecordHeartbeat', { numberOfKeys: 3, lua: RECORD_HEARTBEAT });
    const client = redis.client as unknown as { swarmRecordHeartbeat: RecordHeartbeatCommand };
    this.recordHeartbeatScript = client.swarmRecordHeartbeat.bind(client);
  }

  async markConnected(agentId: string, socketId: string, now: number): Promise<void> {
    await this.redis.client
      .multi()
      .hset(this.keys.agentState(agentId), { connected: '1', socket: socketId, connected_at: String(now), last_seen: String(now) })
      .zadd(this.keys.agentsLastSeen, now, agentId)
      .exec();
  }

  async markDisconnected(agentId: string, socketId: string, now: number): Promise<boolean> {
    const changed = await this.redis.client.eval(MARK_DISCONNECTED, 1, this.keys.agentState(agentId), socketId, String(now));
    return changed === 1;
  }

  async recordHeartbeat(agentId: string, beat: HeartbeatPayload, now: number): Promise<void> {
    await this.recordHeartbeatScript(
      this.keys.agentState(agentId),
      this.keys.agentsLastSeen,
      this.keys.heartbeatStream,
      agentId,
      String(now),
      beat.status,
      beat.cpu_percent === undefined ? '' : String(beat.cpu_percent),
      beat.memory_mb === undefined ? '' : String(beat.memory_mb),
      beat.queue_depth === undefined ? '' : String(beat.queue_depth),
      beat.current_task_id ?? '',
      String(HEARTBEAT_STREAM_MAX_LENGTH),
    );
  }

  async read(agentIds: string[]): Promise<Map<string, AgentLive>> {
    const result = new Map<string, AgentLive>();
    if (agentIds.length === 0) return result;
    const pipeline = this.redis.client.pipeline();
    for (const id of agentIds) pipeline.hgetall(this.keys.agentState(id));
    const replies = (await pipeline.exec()) ?? [];
    agentIds.forEach((id, index) => {
      const hash = (replies[index]?.[1] ?? {}) as Record<string, string>;
      result.set(id, {
        connected: hash.connected === '1',
        lastSeenAt: numberOrNull(hash.last_seen),
        reportedStatus: hash.status || null,
        cpuPercent: numberOrNull(hash.cpu),
        memoryMb: numberOrNull(hash.mem),
        queueDepth: numberOrNull(hash.queue),
        currentTaskId: hash.task || null,
      });
    });
    return result;
  }

  async markSwarmsForReconcile(swarmIds: string[]): Promise<void> {
    if (swarmIds.length > 0) await this.redis.client.sadd(this.keys.swarmsToReconcile, ...swarmIds);
  }

  /** Takes (and clears) the swarms marked since the last call. */
  async takeSwarmsForReconcile(): Promise<string[]> {
    const [[, members]] = (await this.redis.client.multi().smembers(this.keys.swarmsToReconcile).del(this.keys.swarmsToReconcile).exec()) as [[Error | null, string[]], unknown];
    return members ?? [];
  }

  /** Agents last heard from before the given time (ms): the only ones that can have timed out. */
  silentSince(before: number): Promise<string[]> {
    return this.redis.client.zrangebyscore(this.keys.agentsLastSeen, '-inf', `(${before}`);
  }

  async forget(agentId: string): Promise<void> {
    await this.redis.client.multi().del(this.keys.agentState(agentId)).zrem(this.keys.agentsLastSeen, agentId).exec();
  }
}

export function parseStreamedHeartbeat(entryId: string, fields: string[]): StreamedHeartbeat | null {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  if (!map.agent || !map.at) return null;
  return {
    entryId,
    agentId: map.agent,
    at: Number(map.at),
    status: map.status ?? 'idle',
    cpuPercent: numberOrNull(map.cpu),
    memoryMb: numberOrNull(map.mem),
    queueDepth: numberOrNull(map.queue),
    currentTaskId: map.task || null,
  };
}
