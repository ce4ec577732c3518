-- No query reads task_attempts by (agent_id, status) or by finished_at alone (metrics use
-- (agent_id, finished_at)), and every attempt row is written twice (assigned, then finished),
-- each time into every index.
DROP INDEX "task_attempts_agent_id_status_idx";
DROP INDEX "task_attempts_finished_at_idx";
