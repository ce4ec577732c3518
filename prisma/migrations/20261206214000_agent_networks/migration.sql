-- Agent networks: a named group of agents run as a backing swarm, and the task runs split over it.

-- CreateTable
CREATE TABLE "agent_networks" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "swarm_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "coordination_strategy" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_networks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "network_executions" (
    "id" UUID NOT NULL,
    "network_id" UUID NOT NULL,
    "task" JSONB NOT NULL,
    "priority" INTEGER NOT NULL,
    "task_ids" UUID[],
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "network_executions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "agent_networks_swarm_id_key" ON "agent_networks"("swarm_id");

-- CreateIndex
CREATE INDEX "agent_networks_owner_id_created_at_idx" ON "agent_networks"("owner_id", "created_at");

-- CreateIndex
CREATE INDEX "network_executions_network_id_started_at_idx" ON "network_executions"("network_id", "started_at");

-- AddForeignKey
ALTER TABLE "agent_networks" ADD CONSTRAINT "agent_networks_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_networks" ADD CONSTRAINT "agent_networks_swarm_id_fkey" FOREIGN KEY ("swarm_id") REFERENCES "swarms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "network_executions" ADD CONSTRAINT "network_executions_network_id_fkey" FOREIGN KEY ("network_id") REFERENCES "agent_networks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
