-- Votes are recorded and a proposal closed without holding its row lock between statements:
-- every statement that records votes bumps this, and a close only lands on the version it tallied.
ALTER TABLE "consensus_proposals" ADD COLUMN "votes_version" INTEGER NOT NULL DEFAULT 0;
