-- Leader-elected execution: the leader runs the task, the other collaborators verify its result.
ALTER TABLE "tasks" ADD COLUMN "verification" JSONB;
