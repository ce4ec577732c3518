-- Topology state kept per swarm, pinned roles, and the agent-to-agent message log.
ALTER TABLE "swarms" ADD COLUMN "topology_state" JSONB;

ALTER TABLE "swarm_memberships" ADD COLUMN "pinned_role" "agent_role";

CREATE TABLE "swarm_messages" (
    "id" BIGSERIAL NOT NULL,
    "swarm_id" UUID NOT NULL,
    "message_id" UUID NOT NULL,
    "sender_agent_id" UUID NOT NULL,
    "to_agent_id" UUID,
    "broadcast" BOOLEAN NOT NULL DEFAULT false,
    "recipients" UUID[],
    "delivered" BOOLEAN NOT NULL,
    "rule" TEXT NOT NULL,
    "reason" TEXT,
    "payload" JSONB,
    "sent_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "swarm_messages_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "swarm_messages_message_id_key" ON "swarm_messages"("message_id");
CREATE INDEX "swarm_messages_swarm_id_id_idx" ON "swarm_messages"("swarm_id", "id");
CREATE INDEX "swarm_messages_sender_agent_id_id_idx" ON "swarm_messages"("sender_agent_id", "id");

ALTER TABLE "swarm_messages" ADD CONSTRAINT "swarm_messages_swarm_id_fkey" FOREIGN KEY ("swarm_id") REFERENCES "swarms"("id") ON DELETE CASCADE ON UPDATE CASCADE;
