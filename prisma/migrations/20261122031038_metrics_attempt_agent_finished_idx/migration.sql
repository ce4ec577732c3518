-- CreateIndex
CREATE INDEX "task_attempts_agent_id_finished_at_idx" ON "task_attempts"("agent_id", "finished_at");
