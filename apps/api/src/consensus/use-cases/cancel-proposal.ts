import { Injectable } from '@nestjs/common';
import { ConsensusRepository, ProposalRow, Sql } from '@swarm/db';
import { Conflict, NotFound } from '@swarm/domain';
import { ConsensusEffects, ConsensusSettlement } from '@swarm/task-engine';
import type { Actor } from '../../auth/auth.decorators';

/** Closes an open proposal without an outcome; its participants are told, its votes are kept. */
@Injectable()
export class CancelProposal {
  constructor(
    private readonly sql: Sql,
    private readonly proposals: ConsensusRepository,
    private readonly settlement: ConsensusSettlement,
  ) {}

  async execute(actor: Actor, proposalId: string): Promise<ProposalRow> {
    const ownerId = actor.principal.ownerId;
    // Owner-scoped read first: the lock below is by id only.
    if (!(await this.proposals.findForOwner(ownerId, proposalId))) throw new NotFound('proposal', proposalId);
    const effects = new ConsensusEffects();
    await this.sql.transaction(async (tx) => {
      const proposal = (await this.proposals.lock(tx, proposalId))!;
      if (proposal.status !== 'open') throw new Conflict(`proposal ${proposalId} is already ${proposal.status} and cannot be cancelled`);
      const votes = await this.proposals.listVotes(proposalId, tx);
      await this.settlement.cancel(tx, proposal, votes, new Date(), effects);
    });
    this.settlement.apply(effects);
    return (await this.proposals.findForOwner(ownerId, proposalId))!;
  }
}
