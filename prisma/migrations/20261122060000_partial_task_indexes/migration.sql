-- Every status change of a task is a non-HOT update, which adds an entry to every index on
-- tasks. These indexes only ever serve rows in one state (queued, in flight, final, with an
-- idempotency key), so they are made partial: a task's other writes skip them. Same names and
-- columns as in schema.prisma, only the predicates are added here.

DROP INDEX "tasks_status_queued_at_idx";
CREATE INDEX "tasks_status_queued_at_idx" ON "tasks"("status", "queued_at") WHERE "status" = 'queued';

DROP INDEX "tasks_deadline_at_idx";
CREATE INDEX "tasks_deadline_at_idx" ON "tasks"("deadline_at") WHERE "deadline_at" IS NOT NULL;

DROP INDEX "tasks_assigned_agent_id_status_idx";
CREATE INDEX "tasks_assigned_agent_id_status_idx" ON "tasks"("assigned_agent_id", "status") WHERE "assigned_agent_id" IS NOT NULL;

DROP INDEX "tasks_swarm_id_completed_at_idx";
CREATE INDEX "tasks_swarm_id_completed_at_idx" ON "tasks"("swarm_id", "completed_at") WHERE "completed_at" IS NOT NULL;

-- Keys are optional, and NULL keys never conflict, so they need no entry. Inserts name the
-- predicate in ON CONFLICT to infer this index.
DROP INDEX "tasks_owner_id_idempotency_key_key";
CREATE UNIQUE INDEX "tasks_owner_id_idempotency_key_key" ON "tasks"("owner_id", "idempotency_key") WHERE "idempotency_key" IS NOT NULL;
