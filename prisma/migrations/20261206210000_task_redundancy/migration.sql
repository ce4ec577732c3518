-- Redundant execution: a parent task holds the settings and the vote, its replicas are child tasks.
ALTER TABLE "tasks" ADD COLUMN "redundancy" JSONB,
ADD COLUMN "consensus" JSONB;

-- Finishing a replica looks up its parent's other replicas.
CREATE INDEX "tasks_parent_task_id_idx" ON "tasks"("parent_task_id");
