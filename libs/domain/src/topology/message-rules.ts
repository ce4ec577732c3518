import { isLive } from '../agent/agent.types';
import { SwarmTopology } from '../swarm/swarm.types';
import { findNode } from './topology-layout';
import { MessageDecision, MessageTarget, TopologyLayout } from './topology.types';

interface TopologyRule {
  allowedRule: string;
  refusedRule: string;
  refusal: (from: string, to: string) => string;
}

const RULES: Record<SwarmTopology, TopologyRule> = {
  star: {
    allowedRule: 'star.coordinator_link',
    refusedRule: 'star.workers_talk_to_coordinator_only',
    refusal: (from, to) => `In a star, ${from} may not message ${to}: workers talk only to the coordinator`,
  },
  mesh: {
    allowedRule: 'mesh.any',
    refusedRule: 'mesh.any',
    refusal: (from, to) => `${from} may not message ${to}`,
  },
  hierarchical: {
    allowedRule: 'hierarchical.parent_child',
    refusedRule: 'hierarchical.parent_child_only',
    refusal: (from, to) => `In a hierarchy, ${from} may message only its parent and children, not ${to}`,
  },
  ring: {
    allowedRule: 'ring.neighbours',
    refusedRule: 'ring.neighbours_only',
    refusal: (from, to) => `In a ring, ${from} may message only its predecessor and successor, not ${to}`,
  },
};

/**
 * May `from` message `to` (or broadcast)? The layout's neighbour lists are the whole rule:
 * they already encode the topology and leave out members that are not live.
 */
export function decideMessage(layout: TopologyLayout, from: string, to: MessageTarget): MessageDecision {
  const sender = findNode(layout, from);
  if (!sender) return refuse('membership.unknown_sender', `${from} is not a member of this swarm`);
  if (!isLive(sender.status)) return refuse('membership.sender_not_live', `${from} is ${sender.status} and may not send`);
  const rule = RULES[layout.topology];

  if (to === 'broadcast') {
    const recipients = sender.neighbours;
    if (recipients.length === 0) {
      return refuse('broadcast.no_recipients', `${from} has nobody it may reach right now`);
    }
    return {
      allowed: true,
      rule: rule.allowedRule,
      message: `${from} may broadcast to ${recipients.length} agent(s)`,
      recipients,
    };
  }

  if (to === from) return refuse('message.self', `${from} may not message itself`);
  const recipient = findNode(layout, to);
  if (!recipient) return refuse('membership.unknown_recipient', `${to} is not a member of this swarm`);
  if (!isLive(recipient.status)) {
    return refuse('membership.recipient_not_live', `${to} is ${recipient.status} and cannot receive`);
  }
  if (!sender.neighbours.includes(to)) return refuse(rule.refusedRule, rule.refusal(from, to));
  return { allowed: true, rule: rule.allowedRule, message: `${from} may message ${to}`, recipients: [to] };
}

function refuse(rule: string, message: string): MessageDecision {
  return { allowed: false, rule, message };
}
