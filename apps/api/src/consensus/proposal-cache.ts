import { Injectable } from '@nestjs/common';
import { ConsensusRepository, ProposalRow } from '@swarm/db';

/** Enough for every proposal open at once in a busy deployment; the oldest are dropped first. */
const CAPACITY = 10_000;

/**
 * What a vote is checked against before it is recorded — participants, options, algorithm,
 * weights — never changes after a proposal is made, so it is read from Postgres once per api
 * process (and not at all by the process that made it). Status and ballots are not taken from
 * here: the recording statement checks those on the row itself.
 */
@Injectable()
export class ProposalCache {
  private readonly byId = new Map<string, ProposalRow>();

  constructor(private readonly proposals: ConsensusRepository) {}

  remember(proposal: ProposalRow): void {
    // Votes are read fresh wherever they matter: keeping them would only hold memory.
    this.byId.set(proposal.id, proposal.votes.length === 0 ? proposal : { ...proposal, votes: [] });
    if (this.byId.size > CAPACITY) this.byId.delete(this.byId.keys().next().value!);
  }

  /** The owner's proposal; null when missing or another owner's. */
  async get(ownerId: string, proposalId: string): Promise<ProposalRow | null> {
    const cached = this.byId.get(proposalId);
    if (cached) return cached.ownerId === ownerId ? cached : null;
    const proposal = await this.proposals.findForOwner(ownerId, proposalId);
    if (proposal) this.remember(proposal);
    return proposal;
  }
}
