import { Inject, Injectable } from '@nestjs/common';
import { RedisKeys } from './redis-keys';
import { REDIS_KEYS, RedisService } from './redis.module';

/**
 * The hot side of task distribution in Redis (layout in docs/TASKS.md). Every mutation is one
 * Lua script, so a crash or a concurrent distributor never sees half a move. Postgres stays the
 * source of truth: whatever Redis loses, the reconciler puts back.
 *
 * Scripts build key names from the prefix they are given (like redisKeys does), which ties them
 * to a single Redis; on Redis Cluster every key of a swarm would need one hash tag.
 */

/** What the distributor needs to know about a queued task, kept beside the queues. */
export interface QueuedTaskMeta {
  taskType: string;
  priority: number;
  requiredCapabilities: string[];
  requirementClass: string;
  /** ms since the epoch: older first within a priority. */
  queuedAt: number;
}

export interface EnqueueEntry extends QueuedTaskMeta {
  taskId: string;
}

export interface DelayedEntry extends QueuedTaskMeta {
  taskId: string;
  availableAt: number;
}

export interface SnapshotAgent {
  agentId: string;
  connected: boolean;
  inFlight: number;
  /** Its backlog in this swarm, head first. */
  backlog: string[];
}

export interface DispatchSnapshot {
  /** requirement class → head of its ready queue (ids), best first. */
  ready: Map<string, string[]>;
  agents: SnapshotAgent[];
  meta: Map<string, QueuedTaskMeta>;
  roundRobinCursor: number;
  /** How many ids per class were read: the agents' room, at most the peek asked for. */
  readLimit: number;
  /** The swarm's roster version (rosterChanged bumps it) as of this snapshot. */
  rosterVersion: string;
}

export interface PlacementMove {
  taskId: string;
  agentId: string;
  requirementClass: string;
  score: number;
}

export type ClaimSource = { kind: 'ready'; requirementClass: string } | { kind: 'backlog'; agentId: string };

export interface ClaimRequest {
  taskId: string;
  agentId: string;
  source: ClaimSource;
  maxConcurrency: number;
}

export interface Claimed {
  taskId: string;
  agentId: string;
  fencingToken: bigint;
  meta: QueuedTaskMeta;
}

export interface InFlightEntry {
  agentId: string;
  taskId: string;
  fencingToken: bigint | string;
}

const PRIORITY_SPAN = 2 ** 42;

/** Sorted-set score: highest priority first, then oldest. Mirrors readyScore in libs/domain. */
export function queueScore(priority: number, queuedAt: number): number {
  return (10 - priority) * PRIORITY_SPAN + queuedAt;
}

const encodeMeta = (m: QueuedTaskMeta): string =>
  JSON.stringify({ t: m.taskType, p: m.priority, c: m.requiredCapabilities, k: m.requirementClass, q: m.queuedAt });

function decodeMeta(raw: string): QueuedTaskMeta | null {
  try {
    const v = JSON.parse(raw) as { t: string; p: number; c: string[]; k: string; q: number };
    return { taskType: v.t, priority: v.p, requiredCapabilities: v.c ?? [], requirementClass: v.k, queuedAt: v.q };
  } catch {
    return null;
  }
}

const LUA_KEYS = `
local function swarm_key(p, sid, suffix) return p .. ':swarm:' .. sid .. ':' .. suffix end
local function agent_key(p, aid, suffix) return p .. ':agent:' .. aid .. ':' .. suffix end
`;

// ARGV: prefix, swarmId, now, then per task: id, class, meta JSON, score
const ENQUEUE = `${LUA_KEYS}
local p, sid, now = ARGV[1], ARGV[2], ARGV[3]
for i = 4, #ARGV, 4 do
  local id, cls = ARGV[i], ARGV[i + 1]
  redis.call('HSET', swarm_key(p, sid, 'classes'), cls, '1')
  redis.call('HSET', swarm_key(p, sid, 'meta'), id, ARGV[i + 2])
  redis.call('ZADD', swarm_key(p, sid, 'ready:' .. cls), ARGV[i + 3], id)
end
redis.call('ZADD', p .. ':dispatch:due', 'NX', now, sid)
return 1`;

// ARGV: prefix, swarmId, then per task: id, meta JSON, due time
const DELAY = `${LUA_KEYS}
local p, sid = ARGV[1], ARGV[2]
for i = 3, #ARGV, 3 do
  redis.call('HSET', swarm_key(p, sid, 'meta'), ARGV[i], ARGV[i + 1])
  redis.call('ZADD', p .. ':tasks:delayed', ARGV[i + 2], sid .. '|' .. ARGV[i])
end
return 1`;

// Moves retries whose backoff is over into their ready queues. ARGV: prefix, now, limit
const PROMOTE_DELAYED = `${LUA_KEYS}
local p, now, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', p .. ':tasks:delayed', '-inf', now, 'LIMIT', 0, limit)
for _, member in ipairs(due) do
  redis.call('ZREM', p .. ':tasks:delayed', member)
  local sep = string.find(member, '|', 1, true)
  local sid, id = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  local raw = redis.call('HGET', swarm_key(p, sid, 'meta'), id)
  if raw then
    -- Only read: cjson would re-encode an empty capability list as an object.
    local m = cjson.decode(raw)
    redis.call('HSET', swarm_key(p, sid, 'classes'), m.k, '1')
    redis.call('ZADD', swarm_key(p, sid, 'ready:' .. m.k), (10 - m.p) * ${PRIORITY_SPAN} + now, id)
    redis.call('ZADD', p .. ':dispatch:due', 'NX', now, sid)
  end
end
local nextDue = redis.call('ZRANGE', p .. ':tasks:delayed', 0, 0, 'WITHSCORES')
return {#due, nextDue[2] or ''}`;

// Everything one distributor cycle reads, in one round trip. Reads only as many ready ids per
// class as the agents have room for (in flight + backlog below twice their max_concurrency,
// the plan's limit), capped at peek: a busy swarm's cycle then costs what it can place, not the
// depth of the queue. Ids whose meta is gone (cancelled, already handed out) are dropped from
// their queue on the way. ARGV: prefix, swarmId, peek, then per agent: id, max_concurrency.
const SNAPSHOT = `${LUA_KEYS}
local p, sid, peek = ARGV[1], ARGV[2], tonumber(ARGV[3])
local metaKey = swarm_key(p, sid, 'meta')
local agents = {}
local room = 0
for i = 4, #ARGV, 2 do
  local aid, max = ARGV[i], tonumber(ARGV[i + 1])
  local connected = redis.call('HGET', p .. ':agent:' .. aid, 'connected') or '0'
  local inflight = redis.call('ZCARD', agent_key(p, aid, 'inflight'))
  local backlog = redis.call('ZRANGE', agent_key(p, aid, 'backlog:' .. sid), 0, -1)
  agents[#agents + 1] = { aid, connected, inflight, backlog }
  if connected == '1' then room = room + math.max(0, 2 * max - inflight - #backlog) end
end
local take = math.min(peek, room)
local classes = redis.call('HKEYS', swarm_key(p, sid, 'classes'))
local ready = {}
local ids, sources = {}, {}
for _, cls in ipairs(classes) do
  local key = swarm_key(p, sid, 'ready:' .. cls)
  local head = {}
  if take > 0 then head = redis.call('ZRANGE', key, 0, take - 1) end
  if #head == 0 and redis.call('ZCARD', key) == 0 then
    redis.call('HDEL', swarm_key(p, sid, 'classes'), cls)
  else
    ready[#ready + 1] = cls
    ready[#ready + 1] = head
    for _, id in ipairs(head) do ids[#ids + 1] = id; sources[#sources + 1] = key end
  end
end
for _, a in ipairs(agents) do
  local key = agent_key(p, a[1], 'backlog:' .. sid)
  for _, id in ipairs(a[4]) do ids[#ids + 1] = id; sources[#sources + 1] = key end
end
local metas = {}
if #ids > 0 then
  metas = redis.call('HMGET', metaKey, unpack(ids))
  for j = 1, #ids do
    if not metas[j] then redis.call('ZREM', sources[j], ids[j]) end
  end
end
return { ready, agents, ids, metas, redis.call('GET', swarm_key(p, sid, 'rr')) or '0', take,
         redis.call('GET', swarm_key(p, sid, 'roster-version')) or '0' }`;

// Applies a plan: placements move ready → an agent's backlog; claims move a task from where the
// plan saw it into an agent's in-flight set with a new fencing token, only while the agent is
// connected and below its max_concurrency. ARGV: prefix, swarmId, rr cursor, placement count,
// placements (id, agent, class, score)..., claims (id, agent, 'r'|'b', class|agent, max)...
const PLACE_AND_CLAIM = `${LUA_KEYS}
local p, sid = ARGV[1], ARGV[2]
redis.call('SET', swarm_key(p, sid, 'rr'), ARGV[3])
local placements = tonumber(ARGV[4])
local i = 5
for _ = 1, placements do
  local id, aid, cls, score = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('ZREM', swarm_key(p, sid, 'ready:' .. cls), id) == 1 then
    redis.call('ZADD', agent_key(p, aid, 'backlog:' .. sid), score, id)
  end
  i = i + 4
end
local claimed = {}
while i <= #ARGV do
  local id, aid, kind, src, max = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
  i = i + 5
  local inflightKey = agent_key(p, aid, 'inflight')
  if redis.call('HGET', p .. ':agent:' .. aid, 'connected') == '1' and redis.call('ZCARD', inflightKey) < max then
    local source
    if kind == 'r' then source = swarm_key(p, sid, 'ready:' .. src) else source = agent_key(p, src, 'backlog:' .. sid) end
    local raw = redis.call('HGET', swarm_key(p, sid, 'meta'), id)
    if raw and redis.call('ZREM', source, id) == 1 then
      local fence = redis.call('INCR', p .. ':fence')
      redis.call('ZADD', inflightKey, fence, id)
      redis.call('HDEL', swarm_key(p, sid, 'meta'), id)
      claimed[#claimed + 1] = id
      claimed[#claimed + 1] = aid
      claimed[#claimed + 1] = tostring(fence)
      claimed[#claimed + 1] = raw
    end
  end
end
return claimed`;

// ARGV: prefix, then per entry: agent, task, fencing token. Releases only the named attempt:
// a newer attempt of the same task on the same agent keeps its slot.
const RELEASE_IN_FLIGHT = `${LUA_KEYS}
local p = ARGV[1]
local released = 0
for i = 2, #ARGV, 3 do
  local key = agent_key(p, ARGV[i], 'inflight')
  local score = redis.call('ZSCORE', key, ARGV[i + 1])
  if score and tonumber(score) == tonumber(ARGV[i + 2]) then
    redis.call('ZREM', key, ARGV[i + 1])
    released = released + 1
  end
end
return released`;

// An agent that left: its backlogs go back to the ready queues. ARGV: prefix, agent, now, swarmIds...
const RETURN_BACKLOGS = `${LUA_KEYS}
local p, aid, now = ARGV[1], ARGV[2], ARGV[3]
local moved = 0
for i = 4, #ARGV do
  local sid = ARGV[i]
  local key = agent_key(p, aid, 'backlog:' .. sid)
  local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for j = 1, #entries, 2 do
    local raw = redis.call('HGET', swarm_key(p, sid, 'meta'), entries[j])
    if raw then
      local m = cjson.decode(raw)
      redis.call('HSET', swarm_key(p, sid, 'classes'), m.k, '1')
      redis.call('ZADD', swarm_key(p, sid, 'ready:' .. m.k), entries[j + 1], entries[j])
      moved = moved + 1
    end
  end
  redis.call('DEL', key)
  redis.call('ZADD', p .. ':dispatch:due', 'NX', now, sid)
end
return moved`;

// Signals the swarms that have tasks waiting in Redis (ready, planned into a backlog, or a
// retry's backoff: each has its meta entry until claimed). ARGV: prefix, now, swarmIds...
const SIGNAL_IF_WAITING = `${LUA_KEYS}
local p, now = ARGV[1], ARGV[2]
for i = 3, #ARGV do
  if redis.call('HLEN', swarm_key(p, ARGV[i], 'meta')) > 0 then
    redis.call('ZADD', p .. ':dispatch:due', 'NX', now, ARGV[i])
  end
end
return 1`;

// Raises the fencing counter to at least ARGV[1]: after Redis lost it, tokens must not repeat.
const RAISE_FENCE = `
local stored = redis.call('GET', KEYS[1])
local floor = tonumber(ARGV[1])
if not stored then floor = floor + tonumber(ARGV[2]) end
local current = tonumber(stored or '0')
if current < floor then redis.call('SET', KEYS[1], tostring(floor)) return floor end
return current`;

type Script = (...args: string[]) => Promise<unknown>;

@Injectable()
export class TaskDispatchStore {
  private readonly scripts: Record<'enqueue' | 'delay' | 'promote' | 'snapshot' | 'placeAndClaim' | 'release' | 'returnBacklogs' | 'signalIfWaiting', Script>;

  constructor(
    private readonly redis: RedisService,
    @Inject(REDIS_KEYS) private readonly keys: RedisKeys,
  ) {
    const client = redis.client as unknown as Record<string, Script>;
    const define = (name: string, lua: string): Script => {
      redis.client.defineCommand(name, { numberOfKeys: 0, lua });
      return client[name].bind(client);
    };
    this.scripts = {
      enqueue: define('swarmTaskEnqueue', ENQUEUE),
      delay: define('swarmTaskDelay', DELAY),
      promote: define('swarmTaskPromoteDelayed', PROMOTE_DELAYED),
      snapshot: define('swarmTaskSnapshot', SNAPSHOT),
      placeAndClaim: define('swarmTaskPlaceAndClaim', PLACE_AND_CLAIM),
      release: define('swarmTaskReleaseInFlight', RELEASE_IN_FLIGHT),
      returnBacklogs: define('swarmTaskReturnBacklogs', RETURN_BACKLOGS),
      signalIfWaiting: define('swarmTaskSignalIfWaiting', SIGNAL_IF_WAITING),
    };
  }

  private get prefix(): string {
    // redisKeys builds every key as `${prefix}:...`; the scripts need the bare prefix.
    return this.keys.dispatchDue.slice(0, -':dispatch:due'.length);
  }

  /** Makes tasks dispatchable and wakes a distributor for the swarm. */
  async enqueue(swarmId: string, tasks: EnqueueEntry[], now = Date.now()): Promise<void> {
    for (let start = 0; start < tasks.length; start += 500) {
      const args = [this.prefix, swarmId, String(now)];
      for (const t of tasks.slice(start, start + 500)) {
        args.push(t.taskId, t.requirementClass, encodeMeta(t), String(queueScore(t.priority, t.queuedAt)));
      }
      await this.scripts.enqueue(...args);
    }
  }

  /** Retries waiting for their backoff; promoteDueDelayed moves them to the ready queues. */
  async delay(swarmId: string, tasks: DelayedEntry[]): Promise<void> {
    for (let start = 0; start < tasks.length; start += 500) {
      const args = [this.prefix, swarmId];
      for (const t of tasks.slice(start, start + 500)) args.push(t.taskId, encodeMeta(t), String(t.availableAt));
      await this.scripts.delay(...args);
    }
  }

  /** Returns how many were promoted and when the next one is due (ms), if any. */
  async promoteDueDelayed(now = Date.now(), limit = 1_000): Promise<{ promoted: number; nextDueAt: number | null }> {
    const [promoted, next] = (await this.scripts.promote(this.prefix, String(now), String(limit))) as [number, string];
    return { promoted, nextDueAt: next === '' ? null : Number(next) };
  }

  async snapshot(swarmId: string, agents: Array<{ id: string; maxConcurrency: number }>, peek: number): Promise<DispatchSnapshot> {
    const args = [this.prefix, swarmId, String(peek)];
    for (const a of agents) args.push(a.id, String(a.maxConcurrency));
    const [ready, liveAgents, ids, metas, cursor, take, rosterVersion] = (await this.scripts.snapshot(...args)) as [
      (string | string[])[],
      [string, string, number, string[]][],
      string[],
      (string | null)[],
      string,
      number,
      string,
    ];
    const readyMap = new Map<string, string[]>();
    for (let i = 0; i < ready.length; i += 2) readyMap.set(ready[i] as string, ready[i + 1] as string[]);
    const meta = new Map<string, QueuedTaskMeta>();
    ids.forEach((id, index) => {
      const raw = metas[index];
      const decoded = raw ? decodeMeta(raw) : null;
      if (decoded) meta.set(id, decoded);
    });
    return {
      ready: readyMap,
      agents: liveAgents.map(([agentId, connected, inFlight, backlog]) => ({
        agentId,
        connected: connected === '1',
        inFlight: Number(inFlight),
        backlog: backlog.filter((id) => meta.has(id)),
      })),
      meta,
      roundRobinCursor: Number(cursor) || 0,
      readLimit: Number(take),
      rosterVersion,
    };
  }

  async placeAndClaim(swarmId: string, roundRobinCursor: number, placements: PlacementMove[], claims: ClaimRequest[]): Promise<Claimed[]> {
    const args = [this.prefix, swarmId, String(roundRobinCursor), String(placements.length)];
    for (const m of placements) args.push(m.taskId, m.agentId, m.requirementClass, String(m.score));
    for (const c of claims) {
      args.push(c.taskId, c.agentId, c.source.kind === 'ready' ? 'r' : 'b', c.source.kind === 'ready' ? c.source.requirementClass : c.source.agentId, String(c.maxConcurrency));
    }
    const flat = (await this.scripts.placeAndClaim(...args)) as string[];
    const claimed: Claimed[] = [];
    for (let i = 0; i < flat.length; i += 4) {
      const meta = decodeMeta(flat[i + 3]);
      if (meta) claimed.push({ taskId: flat[i], agentId: flat[i + 1], fencingToken: BigInt(flat[i + 2]), meta });
    }
    return claimed;
  }

  async releaseInFlight(entries: InFlightEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const args = [this.prefix];
    for (const e of entries) args.push(e.agentId, e.taskId, String(e.fencingToken));
    return Number(await this.scripts.release(...args));
  }

  /** Is this attempt still the agent's? A cheap early answer for the gateway; Postgres decides. */
  /** For each report, in order: is its attempt still in the agent's in-flight set? One Redis call. */
  async holdsAttempts(agentId: string, attempts: Array<{ taskId: string; fencingToken: string }>): Promise<boolean[]> {
    if (attempts.length === 0) return [];
    const scores = await this.redis.client.zmscore(this.keys.agentInFlight(agentId), ...attempts.map((a) => a.taskId));
    return attempts.map((a, i) => scores[i] !== null && scores[i] === a.fencingToken);
  }

  async inFlightOf(agentId: string): Promise<InFlightEntry[]> {
    const flat = await this.redis.client.zrange(this.keys.agentInFlight(agentId), 0, -1, 'WITHSCORES');
    const entries: InFlightEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) entries.push({ agentId, taskId: flat[i], fencingToken: flat[i + 1] });
    return entries;
  }

  async returnBacklogs(agentId: string, swarmIds: string[], now = Date.now()): Promise<number> {
    if (swarmIds.length === 0) return 0;
    return Number(await this.scripts.returnBacklogs(this.prefix, agentId, String(now), ...swarmIds));
  }

  /** Drops tasks from the dispatch structures (cancelled, or found final by the reconciler). */
  async forget(swarmId: string, taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    await this.redis.client
      .multi()
      .hdel(this.keys.taskMeta(swarmId), ...taskIds)
      .zrem(this.keys.delayedTasks, ...taskIds.map((id) => `${swarmId}|${id}`))
      .exec();
  }

  /** Which of these tasks Redis knows as queued (ready, planned or delayed). */
  async knownQueued(swarmId: string, taskIds: string[]): Promise<Set<string>> {
    if (taskIds.length === 0) return new Set();
    const present = await this.redis.client.hmget(this.keys.taskMeta(swarmId), ...taskIds);
    return new Set(taskIds.filter((_, i) => present[i] !== null));
  }

  /**
   * Capacity freed (attempts ended): only a swarm with tasks waiting in Redis needs a cycle. At
   * 1,000 tasks/s about half the cycles were woken this way in swarms with nothing waiting, each
   * a snapshot of every member for nothing, and a submission's cycle queued behind it.
   */
  async signalIfWaiting(swarmIds: Iterable<string>, now = Date.now()): Promise<void> {
    const ids = [...new Set(swarmIds)];
    if (ids.length > 0) await this.scripts.signalIfWaiting(this.prefix, String(now), ...ids);
  }

  async signal(swarmIds: Iterable<string>, now = Date.now()): Promise<void> {
    const ids = [...new Set(swarmIds)];
    if (ids.length === 0) return;
    const args: (string | number)[] = [];
    for (const id of ids) args.push(now, id);
    await this.redis.client.zadd(this.keys.dispatchDue, 'NX', ...args);
  }

  /**
   * Who may take a swarm's work changed (an agent activated, recovered, failed or re-registered
   * with other capabilities): bumps the swarm's roster version, then wakes a distributor. A
   * plain signal is not enough: the cycle it wakes may plan with a roster cached just before the
   * change (SwarmRosterCache), find no eligible agent and leave the tasks waiting for the next
   * signal — up to the reconciler's 5 s safety net when nothing else happens in the swarm.
   */
  async rosterChanged(swarmIds: Iterable<string>, now = Date.now()): Promise<void> {
    const ids = [...new Set(swarmIds)];
    if (ids.length === 0) return;
    const multi = this.redis.client.multi();
    for (const id of ids) multi.incr(this.keys.rosterVersion(id));
    await multi.exec();
    await this.signal(ids, now);
  }

  /**
   * Whether the swarm has tasks waiting in Redis (ready, planned into a backlog or waiting for
   * a retry): each of them has a meta entry until it is claimed.
   */
  async hasQueuedWork(swarmId: string): Promise<boolean> {
    return (await this.redis.client.hlen(this.keys.taskMeta(swarmId))) > 0;
  }

  async rosterVersion(swarmId: string): Promise<string> {
    return (await this.redis.client.get(this.keys.rosterVersion(swarmId))) ?? '0';
  }

  /**
   * Raises the fencing counter to at least `floor` (Postgres's highest token); a counter Redis
   * lost restarts `lostMargin` above it, past tokens Postgres may not have kept (see
   * Sql.asyncCommit).
   */
  async raiseFencingCounter(floor: bigint, lostMargin = 0n): Promise<void> {
    await this.redis.client.eval(RAISE_FENCE, 1, this.keys.fencingCounter, floor.toString(), lostMargin.toString());
  }
}
