-- CreateEnum
CREATE TYPE "swarm_topology" AS ENUM ('star', 'mesh', 'hierarchical', 'ring');

-- CreateEnum
CREATE TYPE "swarm_status" AS ENUM ('inactive', 'active', 'degraded', 'terminated');

-- CreateEnum
CREATE TYPE "agent_status" AS ENUM ('pending', 'starting', 'idle', 'busy', 'unhealthy', 'stopped');

-- CreateEnum
CREATE TYPE "agent_role" AS ENUM ('coordinator', 'supervisor', 'worker');

-- CreateEnum
CREATE TYPE "membership_status" AS ENUM ('active', 'left');

-- CreateEnum
CREATE TYPE "task_status" AS ENUM ('pending', 'queued', 'assigned', 'running', 'completed', 'failed', 'cancelled', 'timed_out');

-- CreateEnum
CREATE TYPE "dependency_type" AS ENUM ('completion', 'success');

-- CreateEnum
CREATE TYPE "attempt_status" AS ENUM ('assigned', 'running', 'completed', 'failed', 'timed_out', 'cancelled', 'superseded');

-- CreateEnum
CREATE TYPE "api_key_role" AS ENUM ('admin', 'operator', 'viewer');

-- CreateEnum
CREATE TYPE "consensus_algorithm" AS ENUM ('majority', 'super_majority', 'unanimous', 'weighted', 'delegated');

-- CreateEnum
CREATE TYPE "proposal_status" AS ENUM ('open', 'decided', 'not_reached', 'cancelled');

-- CreateTable
CREATE TABLE "owners" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "is_system" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "owners_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "role" "api_key_role" NOT NULL,
    "created_by" UUID,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "swarms" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "topology" "swarm_topology" NOT NULL,
    "status" "swarm_status" NOT NULL DEFAULT 'inactive',
    "configuration" JSONB NOT NULL,
    "leader_agent_id" UUID,
    "topology_template_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "terminated_at" TIMESTAMPTZ(3),

    CONSTRAINT "swarms_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agents" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "agent_type" TEXT NOT NULL,
    "capabilities" TEXT[],
    "status" "agent_status" NOT NULL DEFAULT 'pending',
    "max_concurrency" INTEGER NOT NULL DEFAULT 1,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "token_prefix" TEXT,
    "token_hash" TEXT,
    "last_heartbeat_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "stopped_at" TIMESTAMPTZ(3),

    CONSTRAINT "agents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "swarm_memberships" (
    "id" UUID NOT NULL,
    "swarm_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "role" "agent_role" NOT NULL DEFAULT 'worker',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "parent_agent_id" UUID,
    "status" "membership_status" NOT NULL DEFAULT 'active',
    "joined_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "left_at" TIMESTAMPTZ(3),

    CONSTRAINT "swarm_memberships_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tasks" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "swarm_id" UUID NOT NULL,
    "parent_task_id" UUID,
    "task_type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 5,
    "required_capabilities" TEXT[],
    "status" "task_status" NOT NULL DEFAULT 'pending',
    "max_attempts" INTEGER NOT NULL DEFAULT 3,
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "timeout_ms" INTEGER NOT NULL,
    "idempotency_key" TEXT,
    "assigned_agent_id" UUID,
    "wait_reason" TEXT,
    "result" JSONB,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "queued_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "task_dependencies" (
    "task_id" UUID NOT NULL,
    "depends_on_task_id" UUID NOT NULL,
    "type" "dependency_type" NOT NULL DEFAULT 'success',

    CONSTRAINT "task_dependencies_pkey" PRIMARY KEY ("task_id","depends_on_task_id")
);

-- CreateTable
CREATE TABLE "task_attempts" (
    "id" UUID NOT NULL,
    "task_id" UUID NOT NULL,
    "attempt_number" INTEGER NOT NULL,
    "agent_id" UUID,
    "fencing_token" BIGINT NOT NULL,
    "status" "attempt_status" NOT NULL DEFAULT 'assigned',
    "error" TEXT,
    "assigned_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "task_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_heartbeats" (
    "id" BIGSERIAL NOT NULL,
    "agent_id" UUID NOT NULL,
    "swarm_id" UUID,
    "status" "agent_status" NOT NULL,
    "cpu_percent" DOUBLE PRECISION,
    "memory_mb" DOUBLE PRECISION,
    "queue_depth" INTEGER,
    "current_task_id" UUID,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "agent_heartbeats_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "swarm_events" (
    "id" BIGSERIAL NOT NULL,
    "swarm_id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "agent_id" UUID,
    "task_id" UUID,
    "data" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "swarm_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "swarm_metrics" (
    "id" BIGSERIAL NOT NULL,
    "swarm_id" UUID NOT NULL,
    "window" TEXT NOT NULL,
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "tasks_submitted" INTEGER NOT NULL DEFAULT 0,
    "tasks_completed" INTEGER NOT NULL DEFAULT 0,
    "tasks_failed" INTEGER NOT NULL DEFAULT 0,
    "tasks_retried" INTEGER NOT NULL DEFAULT 0,
    "throughput_per_sec" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "queue_wait_p50_ms" DOUBLE PRECISION,
    "queue_wait_p95_ms" DOUBLE PRECISION,
    "queue_wait_p99_ms" DOUBLE PRECISION,
    "execution_p50_ms" DOUBLE PRECISION,
    "execution_p95_ms" DOUBLE PRECISION,
    "execution_p99_ms" DOUBLE PRECISION,
    "end_to_end_p50_ms" DOUBLE PRECISION,
    "end_to_end_p95_ms" DOUBLE PRECISION,
    "end_to_end_p99_ms" DOUBLE PRECISION,
    "queue_depth" INTEGER,
    "agent_utilization" DOUBLE PRECISION,
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "swarm_metrics_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "topology_templates" (
    "id" UUID NOT NULL,
    "owner_id" UUID,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "topology" "swarm_topology" NOT NULL,
    "configuration" JSONB NOT NULL DEFAULT '{}',
    "is_system" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "topology_templates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scaling_policies" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "swarm_id" UUID NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "min_agents" INTEGER NOT NULL,
    "max_agents" INTEGER NOT NULL,
    "target_utilization" DOUBLE PRECISION NOT NULL DEFAULT 0.7,
    "scale_up_threshold" DOUBLE PRECISION NOT NULL DEFAULT 0.85,
    "scale_down_threshold" DOUBLE PRECISION NOT NULL DEFAULT 0.3,
    "cooldown_ms" INTEGER NOT NULL DEFAULT 60000,
    "last_scaled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "scaling_policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consensus_proposals" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "swarm_id" UUID NOT NULL,
    "question" TEXT NOT NULL,
    "options" JSONB NOT NULL,
    "algorithm" "consensus_algorithm" NOT NULL,
    "threshold" DOUBLE PRECISION,
    "weights" JSONB,
    "participants" TEXT[],
    "status" "proposal_status" NOT NULL DEFAULT 'open',
    "decided_value" JSONB,
    "outcome_reason" TEXT,
    "confidence" DOUBLE PRECISION,
    "participation" DOUBLE PRECISION,
    "deadline_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMPTZ(3),

    CONSTRAINT "consensus_proposals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consensus_votes" (
    "id" UUID NOT NULL,
    "proposal_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "value" JSONB,
    "weight" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "delegate_agent_id" UUID,
    "cast_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consensus_votes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_logs" (
    "id" BIGSERIAL NOT NULL,
    "owner_id" UUID NOT NULL,
    "actor_key_id" UUID,
    "action" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "details" JSONB NOT NULL DEFAULT '{}',
    "request_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_logs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "owners_name_key" ON "owners"("name");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys"("prefix");

-- CreateIndex
CREATE INDEX "api_keys_owner_id_created_at_idx" ON "api_keys"("owner_id", "created_at");

-- CreateIndex
CREATE INDEX "swarms_owner_id_status_created_at_idx" ON "swarms"("owner_id", "status", "created_at");

-- CreateIndex
CREATE INDEX "swarms_owner_id_topology_created_at_idx" ON "swarms"("owner_id", "topology", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "swarms_owner_id_name_key" ON "swarms"("owner_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "agents_token_prefix_key" ON "agents"("token_prefix");

-- CreateIndex
CREATE INDEX "agents_owner_id_status_idx" ON "agents"("owner_id", "status");

-- CreateIndex
CREATE INDEX "swarm_memberships_agent_id_idx" ON "swarm_memberships"("agent_id");

-- CreateIndex
CREATE UNIQUE INDEX "swarm_memberships_swarm_id_agent_id_key" ON "swarm_memberships"("swarm_id", "agent_id");

-- CreateIndex
CREATE INDEX "tasks_swarm_id_status_created_at_idx" ON "tasks"("swarm_id", "status", "created_at");

-- CreateIndex
CREATE INDEX "tasks_swarm_id_task_type_created_at_idx" ON "tasks"("swarm_id", "task_type", "created_at");

-- CreateIndex
CREATE INDEX "tasks_assigned_agent_id_status_idx" ON "tasks"("assigned_agent_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "tasks_owner_id_idempotency_key_key" ON "tasks"("owner_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "task_dependencies_depends_on_task_id_idx" ON "task_dependencies"("depends_on_task_id");

-- CreateIndex
CREATE INDEX "task_attempts_agent_id_status_idx" ON "task_attempts"("agent_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "task_attempts_task_id_attempt_number_key" ON "task_attempts"("task_id", "attempt_number");

-- CreateIndex
CREATE INDEX "agent_heartbeats_agent_id_recorded_at_idx" ON "agent_heartbeats"("agent_id", "recorded_at");

-- CreateIndex
CREATE INDEX "agent_heartbeats_swarm_id_recorded_at_idx" ON "agent_heartbeats"("swarm_id", "recorded_at");

-- CreateIndex
CREATE INDEX "swarm_events_swarm_id_id_idx" ON "swarm_events"("swarm_id", "id");

-- CreateIndex
CREATE INDEX "swarm_events_swarm_id_type_created_at_idx" ON "swarm_events"("swarm_id", "type", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "swarm_metrics_swarm_id_window_bucket_start_key" ON "swarm_metrics"("swarm_id", "window", "bucket_start");

-- CreateIndex
CREATE UNIQUE INDEX "topology_templates_owner_id_name_key" ON "topology_templates"("owner_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "scaling_policies_swarm_id_key" ON "scaling_policies"("swarm_id");

-- CreateIndex
CREATE INDEX "consensus_proposals_owner_id_created_at_idx" ON "consensus_proposals"("owner_id", "created_at");

-- CreateIndex
CREATE INDEX "consensus_proposals_swarm_id_status_idx" ON "consensus_proposals"("swarm_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "consensus_votes_proposal_id_agent_id_key" ON "consensus_votes"("proposal_id", "agent_id");

-- CreateIndex
CREATE INDEX "audit_logs_owner_id_created_at_idx" ON "audit_logs"("owner_id", "created_at");

-- CreateIndex
CREATE INDEX "audit_logs_resource_type_resource_id_idx" ON "audit_logs"("resource_type", "resource_id");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "swarms" ADD CONSTRAINT "swarms_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "swarms" ADD CONSTRAINT "swarms_leader_agent_id_fkey" FOREIGN KEY ("leader_agent_id") REFERENCES "agents"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "swarms" ADD CONSTRAINT "swarms_topology_template_id_fkey" FOREIGN KEY ("topology_template_id") REFERENCES "topology_templates"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agents" ADD CONSTRAINT "agents_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "swarm_memberships" ADD CONSTRAINT "swarm_memberships_swarm_id_fkey" FOREIGN KEY ("swarm_id") REFERENCES "swarms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "swarm_memberships" ADD CONSTRAINT "swarm_memberships_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_swarm_id_fkey" FOREIGN KEY ("swarm_id") REFERENCES "swarms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_parent_task_id_fkey" FOREIGN KEY ("parent_task_id") REFERENCES "tasks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_assigned_agent_id_fkey" FOREIGN KEY ("assigned_agent_id") REFERENCES "agents"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task_dependencies" ADD CONSTRAINT "task_dependencies_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task_dependencies" ADD CONSTRAINT "task_dependencies_depends_on_task_id_fkey" FOREIGN KEY ("depends_on_task_id") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task_attempts" ADD CONSTRAINT "task_attempts_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task_attempts" ADD CONSTRAINT "task_attempts_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_heartbeats" ADD CONSTRAINT "agent_heartbeats_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_heartbeats" ADD CONSTRAINT "agent_heartbeats_swarm_id_fkey" FOREIGN KEY ("swarm_id") REFERENCES "swarms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "swarm_events" ADD CONSTRAINT "swarm_events_swarm_id_fkey" FOREIGN KEY ("swarm_id") REFERENCES "swarms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "swarm_events" ADD CONSTRAINT "swarm_events_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "swarm_metrics" ADD CONSTRAINT "swarm_metrics_swarm_id_fkey" FOREIGN KEY ("swarm_id") REFERENCES "swarms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topology_templates" ADD CONSTRAINT "topology_templates_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "scaling_policies" ADD CONSTRAINT "scaling_policies_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "scaling_policies" ADD CONSTRAINT "scaling_policies_swarm_id_fkey" FOREIGN KEY ("swarm_id") REFERENCES "swarms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consensus_proposals" ADD CONSTRAINT "consensus_proposals_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consensus_proposals" ADD CONSTRAINT "consensus_proposals_swarm_id_fkey" FOREIGN KEY ("swarm_id") REFERENCES "swarms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consensus_votes" ADD CONSTRAINT "consensus_votes_proposal_id_fkey" FOREIGN KEY ("proposal_id") REFERENCES "consensus_proposals"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consensus_votes" ADD CONSTRAINT "consensus_votes_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consensus_votes" ADD CONSTRAINT "consensus_votes_delegate_agent_id_fkey" FOREIGN KEY ("delegate_agent_id") REFERENCES "agents"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;
