import { Prisma, PrismaService, TaskRepository, uniqueViolationTarget } from '@swarm/db';
import { Conflict, NotFound } from '@swarm/domain';

/**
 * What the submissions of one engine-run task (redundant, pipeline, leader-elected) share: the
 * swarm checked and share-locked in their transaction, and idempotency keys answered with the
 * earlier task — found first, or, when a concurrent request won the insert, found after.
 */
export interface SubmissionSwarm {
  id: string;
  status: string;
  topology: string;
  configuration: unknown;
}

/** The owner's swarm, share-locked for the transaction: 404 when it is not theirs, 409 when terminated. */
export async function lockSwarmForSubmission(tx: Prisma.TransactionClient, ownerId: string, swarmId: string): Promise<SubmissionSwarm> {
  const [swarm] = await tx.$queryRaw<SubmissionSwarm[]>`
    SELECT id, status::text AS status, topology::text AS topology, configuration FROM swarms WHERE id = ${swarmId}::uuid AND owner_id = ${ownerId}::uuid FOR SHARE`;
  if (!swarm) throw new NotFound('swarm', swarmId);
  if (swarm.status === 'terminated') throw new Conflict(`swarm ${swarmId} is terminated and takes no tasks`);
  return swarm;
}

/** The id of the task this key already names in the swarm, else null; 409 for another swarm's. */
export async function taskNamedByKey(tasks: TaskRepository, tx: Prisma.TransactionClient, ownerId: string, swarmId: string, key: string | undefined): Promise<string | null> {
  if (key === undefined) return null;
  const [existing] = await tasks.findByIdempotencyKeys(tx, ownerId, [key]);
  if (!existing) return null;
  if (existing.swarmId !== swarmId) throw new Conflict(`idempotency_key "${key}" was already used for a task in another swarm`);
  return existing.id;
}

/** After the insert failed: the id of the concurrent request's task when the key's uniqueness was why; rethrows otherwise. */
export async function concurrentKeyWinner(tasks: TaskRepository, prisma: PrismaService, ownerId: string, swarmId: string, key: string | undefined, error: unknown): Promise<string> {
  if (!uniqueViolationTarget(error) || key === undefined) throw error;
  const [winner] = await tasks.findByIdempotencyKeys(prisma, ownerId, [key]);
  if (!winner || winner.swarmId !== swarmId) throw new Conflict(`idempotency_key "${key}" was used concurrently for a task in another swarm`);
  return winner.id;
}
