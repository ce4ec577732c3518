-- Redundant execution and ring pipelines: a parent task holds the settings and the outcome, its runs are child tasks.
ALTER TABLE "tasks" ADD COLUMN "redundancy" JSONB,
ADD COLUMN "consensus" JSONB,
ADD COLUMN "pipeline" JSONB;

-- Finishing a replica looks up its parent's other replicas.
CREATE INDEX "tasks_parent_task_id_idx" ON "tasks"("parent_task_id");
