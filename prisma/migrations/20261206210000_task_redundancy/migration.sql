-- Redundant execution and ring pipelines: a parent task holds the settings and the outcome, its runs are child tasks.
ALTER TABLE "tasks" ADD COLUMN "redundancy" JSONB,
ADD COLUMN "consensus" JSONB,
ADD COLUMN "pipeline" JSONB;

-- Finishing a child task looks up its parent's other children. Partial: most tasks have no
-- parent and need no entry (same name and column as in schema.prisma).
CREATE INDEX "tasks_parent_task_id_idx" ON "tasks"("parent_task_id") WHERE "parent_task_id" IS NOT NULL;
