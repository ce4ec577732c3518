-- AlterTable
ALTER TABLE "task_attempts" ADD COLUMN     "result" JSONB,
ADD COLUMN     "retryable" BOOLEAN;

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "assigned_at" TIMESTAMPTZ(3),
ADD COLUMN     "available_at" TIMESTAMPTZ(3),
ADD COLUMN     "deadline_at" TIMESTAMPTZ(3),
ADD COLUMN     "fencing_token" BIGINT,
ADD COLUMN     "progress" DOUBLE PRECISION,
ADD COLUMN     "progress_message" TEXT;

-- CreateTable
CREATE TABLE "agent_task_stats" (
    "agent_id" UUID NOT NULL,
    "task_type" TEXT NOT NULL,
    "completed" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "timed_out" INTEGER NOT NULL DEFAULT 0,
    "total_execution_ms" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "success_rate_ewma" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "latency_ms_ewma" DOUBLE PRECISION,
    "last_finished_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_task_stats_pkey" PRIMARY KEY ("agent_id","task_type")
);

-- CreateIndex
CREATE INDEX "task_attempts_finished_at_idx" ON "task_attempts"("finished_at");

-- CreateIndex
CREATE INDEX "tasks_status_queued_at_idx" ON "tasks"("status", "queued_at");

-- CreateIndex
CREATE INDEX "tasks_deadline_at_idx" ON "tasks"("deadline_at");

-- CreateIndex
CREATE INDEX "tasks_swarm_id_completed_at_idx" ON "tasks"("swarm_id", "completed_at");

-- AddForeignKey
ALTER TABLE "agent_task_stats" ADD CONSTRAINT "agent_task_stats_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;
