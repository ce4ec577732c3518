-- Swarm coordinations: a task run over a swarm's members through /swarm/coordinate, and its tasks.

-- CreateTable
CREATE TABLE "swarm_coordinations" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "swarm_id" UUID NOT NULL,
    "strategy" TEXT NOT NULL,
    "collaborators" INTEGER NOT NULL,
    "task" JSONB NOT NULL,
    "task_ids" UUID[],
    "parent_task_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "timeout_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "swarm_coordinations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "swarm_coordinations_owner_id_created_at_idx" ON "swarm_coordinations"("owner_id", "created_at");

-- CreateIndex
CREATE INDEX "swarm_coordinations_swarm_id_created_at_idx" ON "swarm_coordinations"("swarm_id", "created_at");

-- AddForeignKey
ALTER TABLE "swarm_coordinations" ADD CONSTRAINT "swarm_coordinations_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "swarm_coordinations" ADD CONSTRAINT "swarm_coordinations_swarm_id_fkey" FOREIGN KEY ("swarm_id") REFERENCES "swarms"("id") ON DELETE CASCADE ON UPDATE CASCADE;
