import { Injectable, Logger } from '@nestjs/common';
import { AckResponse, DELEGATION_MAX_SUBTASKS, SubtaskOutcome, SubtaskSpec, TaskDelegateAck, validateSubmitTask } from '@swarm/contracts';
import { Prisma, PrismaService } from '@swarm/db';
import {
  agentCapability,
  Conflict,
  delegationTargets,
  normaliseCapabilities,
  readStoredConfiguration,
  requirementClass,
  spreadSubtasks,
  TASK_PRIORITY,
} from '@swarm/domain';
import { EnqueueEntry, TaskDispatchStore } from '@swarm/messaging';
import { SwarmLayoutReader } from '@swarm/topology';
import { v7 as uuidv7 } from 'uuid';
import { TASK_PAYLOAD_MAX_BYTES } from './submit-tasks';

const SUBTASK_FIELDS = new Set(['task_type', 'payload', 'priority', 'required_capabilities', 'max_attempts', 'timeout_ms']);

type Refusal = { ok: false; error: { code: 'validation_failed' | 'superseded' | 'forbidden_by_topology' | 'not_found'; message: string; rule?: string; details?: string[] } };

/**
 * `task.delegate`: an agent holding an attempt splits its task into subtasks for the agents the
 * topology lets it hand work to, each pinned to one of them. Idempotent per task (the subtask's
 * key is its position), so a delegator that reconnects, or a later attempt of the same task,
 * gets the same subtasks back with their current outcome instead of creating new ones.
 */
@Injectable()
export class DelegateSubtasks {
  private readonly logger = new Logger(DelegateSubtasks.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly dispatch: TaskDispatchStore,
    private readonly layouts: SwarmLayoutReader,
  ) {}

  async execute(agentId: string, ownerId: string, raw: unknown): Promise<AckResponse<TaskDelegateAck>> {
    const checked = checkRequest(raw);
    if (!checked.ok) return checked;
    const { taskId, fencingToken, subtasks } = checked;
    const [held] = await this.dispatch.holdsAttempts(agentId, [{ taskId, fencingToken }]);
    if (!held) return { ok: false, error: { code: 'superseded', message: `attempt ${fencingToken} of task ${taskId} is not yours any more (finished, timed out or reassigned)` } };
    const [parent] = await this.prisma.$queryRaw<Array<{ id: string; swarm_id: string; configuration: unknown }>>`
      SELECT t.id, t.swarm_id, s.configuration FROM tasks t JOIN swarms s ON s.id = t.swarm_id
      WHERE t.id = ${taskId}::uuid AND t.owner_id = ${ownerId}::uuid AND t.assigned_agent_id = ${agentId}::uuid
        AND t.fencing_token = ${fencingToken}::bigint AND t.status IN ('assigned', 'running')`;
    if (!parent) return { ok: false, error: { code: 'superseded', message: `attempt ${fencingToken} of task ${taskId} is not in flight` } };

    const keys = subtasks.map((_, index) => delegationKey(taskId, index));
    const existing = await this.outcomes(ownerId, keys);
    let rule = 'delegation.existing';
    if (existing.size < keys.length) {
      const current = await this.layouts.current(parent.swarm_id);
      const decision = current ? delegationTargets(current.layout, agentId) : null;
      if (!decision?.allowed) {
        return { ok: false, error: { code: 'forbidden_by_topology', rule: decision?.rule ?? 'membership.unknown_sender', message: decision ? decision.message : `you are not a member of swarm ${parent.swarm_id}` } };
      }
      rule = decision.rule;
      const created = await this.create(ownerId, parent, subtasks, keys, existing, decision.targets);
      if ('error' in created) return created.error;
      for (const [key, outcome] of created.outcomes) existing.set(key, outcome);
    }
    return { ok: true, data: { rule, subtasks: keys.map((key) => existing.get(key)!) } };
  }

  private async create(
    ownerId: string,
    parent: { id: string; swarm_id: string; configuration: unknown },
    subtasks: SubtaskSpec[],
    keys: string[],
    existing: Map<string, SubtaskOutcome>,
    targets: string[],
  ): Promise<{ outcomes: Map<string, SubtaskOutcome> } | { error: Refusal }> {
    const missing = subtasks.map((spec, index) => ({ spec, index, key: keys[index] })).filter((s) => !existing.has(s.key));
    const capabilities = await this.prisma.agent.findMany({ where: { id: { in: targets } }, select: { id: true, capabilities: true } });
    const byId = new Map(capabilities.map((a) => [a.id, a.capabilities]));
    let chosen: string[];
    try {
      chosen = spreadSubtasks(
        targets.map((id) => ({ agentId: id, capabilities: byId.get(id) ?? [] })),
        missing.map((s) => normaliseCapabilities(s.spec.required_capabilities ?? [])),
      );
    } catch (error) {
      if (error instanceof Conflict) return { error: { ok: false, error: { code: 'validation_failed', message: error.message.replace(/^subtasks\.\d+/, (m) => `subtasks.${missing[Number(m.split('.')[1])].index}`) } } };
      throw error;
    }
    const config = readStoredConfiguration(parent.configuration);
    const now = new Date();
    const rows = missing.map((s, i) => {
      const required = normaliseCapabilities([...(s.spec.required_capabilities ?? []), agentCapability(chosen[i])]);
      return {
        id: uuidv7(),
        ownerId,
        swarmId: parent.swarm_id,
        parentTaskId: parent.id,
        taskType: s.spec.task_type,
        payload: (s.spec.payload ?? null) as Prisma.InputJsonValue,
        priority: s.spec.priority ?? TASK_PRIORITY.default,
        requiredCapabilities: required,
        status: 'queued' as const,
        maxAttempts: s.spec.max_attempts ?? config.max_task_attempts,
        timeoutMs: s.spec.timeout_ms ?? config.task_timeout_ms,
        idempotencyKey: s.key,
        queuedAt: now,
        createdAt: now,
      };
    });
    // A concurrent delegation of the same task inserted some first: theirs stand, ours are skipped.
    await this.prisma.task.createMany({ data: rows, skipDuplicates: true });
    const outcomes = await this.outcomes(ownerId, rows.map((r) => r.idempotencyKey));
    const mine = rows.filter((r) => outcomes.get(r.idempotencyKey)?.task_id === r.id);
    const entries: EnqueueEntry[] = mine.map((r) => ({ taskId: r.id, taskType: r.taskType, priority: r.priority, requiredCapabilities: r.requiredCapabilities, requirementClass: requirementClass(r.requiredCapabilities), queuedAt: now.getTime() }));
    if (entries.length > 0) {
      try {
        await this.dispatch.enqueue(parent.swarm_id, entries);
      } catch (error) {
        this.logger.warn({ err: error, taskId: parent.id }, 'could not enqueue subtasks in Redis; the reconciler will');
      }
      this.logger.log({ taskId: parent.id, subtasks: entries.length, agents: [...new Set(chosen)] }, 'task delegated');
    }
    return { outcomes };
  }

  private async outcomes(ownerId: string, keys: string[]): Promise<Map<string, SubtaskOutcome>> {
    const rows = await this.prisma.task.findMany({
      where: { ownerId, idempotencyKey: { in: keys } },
      select: { id: true, idempotencyKey: true, status: true, result: true, error: true, requiredCapabilities: true },
    });
    return new Map(rows.map((r) => [r.idempotencyKey!, toOutcome(r)]));
  }
}

export function delegationKey(parentTaskId: string, index: number): string {
  return `delegate:${parentTaskId}:${index}`;
}

function toOutcome(row: { id: string; status: string; result: unknown; error: string | null; requiredCapabilities: string[] }): SubtaskOutcome {
  const pin = row.requiredCapabilities.find((c) => c.startsWith('agent:'));
  return { task_id: row.id, agent_id: pin ? pin.slice('agent:'.length) : null, status: row.status as SubtaskOutcome['status'], result: row.result ?? null, error: row.error };
}

type CheckedRequest = { ok: true; taskId: string; fencingToken: string; subtasks: SubtaskSpec[] } | Refusal;

function checkRequest(raw: unknown): CheckedRequest {
  const invalid = (message: string, details?: string[]): Refusal => ({ ok: false, error: { code: 'validation_failed', message, ...(details ? { details } : {}) } });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return invalid('task.delegate takes {task_id, fencing_token, subtasks}');
  const { task_id: taskId, fencing_token: fencingToken, subtasks, ...extra } = raw as Record<string, unknown>;
  const unknown = Object.keys(extra);
  if (unknown.length > 0) return invalid(unknown.map((key) => `property ${key} should not exist`).join('; '));
  if (typeof taskId !== 'string' || !/^[0-9a-f-]{36}$/i.test(taskId)) return invalid('task_id must be the id of the task you hold');
  if (typeof fencingToken !== 'string' || !/^\d{1,19}$/.test(fencingToken)) return invalid('fencing_token must be the attempt\'s token (a string of digits)');
  if (!Array.isArray(subtasks) || subtasks.length === 0 || subtasks.length > DELEGATION_MAX_SUBTASKS) return invalid(`subtasks must be an array of 1 to ${DELEGATION_MAX_SUBTASKS} subtasks`);
  const problems: string[] = [];
  subtasks.forEach((spec, index) => {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return problems.push(`subtasks.${index}: a subtask must be an object`);
    for (const key of Object.keys(spec)) if (!SUBTASK_FIELDS.has(key)) problems.push(`subtasks.${index}: property ${key} should not exist`);
    const check = validateSubmitTask(spec);
    if (!check.ok) problems.push(...check.problems.filter((p) => !p.startsWith('property ')).map((p) => `subtasks.${index}.${p}`));
    const capabilities = (spec as SubtaskSpec).required_capabilities;
    if (Array.isArray(capabilities) && capabilities.some((c) => typeof c === 'string' && c.startsWith('agent:'))) problems.push(`subtasks.${index}: the topology chooses the agent; leave agent: capabilities out`);
    const size = Buffer.byteLength(JSON.stringify((spec as SubtaskSpec).payload ?? null));
    if (size > TASK_PAYLOAD_MAX_BYTES) problems.push(`subtasks.${index}.payload is ${size} bytes; the limit is ${TASK_PAYLOAD_MAX_BYTES}`);
    return undefined;
  });
  if (problems.length > 0) return invalid(problems.join('; '), problems);
  return { ok: true, taskId, fencingToken, subtasks: subtasks as SubtaskSpec[] };
}
