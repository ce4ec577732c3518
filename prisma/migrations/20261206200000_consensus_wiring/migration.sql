-- Consensus wiring: free-form proposals have no options, the quorum and the success rates a
-- weighted proposal learnt its weights from are kept with the proposal (a re-tally must give the
-- same outcome), and the final tally is stored with the outcome.

-- AlterTable
ALTER TABLE "consensus_proposals" ALTER COLUMN "options" DROP NOT NULL;
ALTER TABLE "consensus_proposals" ADD COLUMN "quorum" DOUBLE PRECISION;
ALTER TABLE "consensus_proposals" ADD COLUMN "success_rates" JSONB;
ALTER TABLE "consensus_proposals" ADD COLUMN "tally" JSONB;

-- The deadline sweep only ever looks for open proposals: closed ones need no entry.
CREATE INDEX "consensus_proposals_deadline_at_idx" ON "consensus_proposals"("deadline_at") WHERE "status" = 'open';
