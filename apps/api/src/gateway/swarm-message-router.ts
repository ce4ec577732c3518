import { Injectable, Logger } from '@nestjs/common';
import { AckResponse, socketRooms, SWARM_MESSAGE_PAYLOAD_MAX_BYTES, SwarmMessageAck, SwarmMessageDelivery } from '@swarm/contracts';
import { decideMessage } from '@swarm/domain';
import { SwarmMessageLog } from '@swarm/messaging';
import { SwarmLayoutReader } from '@swarm/topology';
import { randomUUID } from 'node:crypto';
import type { Namespace } from 'socket.io';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface CheckedRequest {
  swarmId: string;
  to: string | null;
  payload: unknown;
}

/**
 * Agent-to-agent messages: the swarm's current layout decides (the same rules the domain
 * tests), allowed messages go to the recipients' rooms (any api copy, through the Redis
 * adapter), and every decision is logged with the rule that made it.
 */
@Injectable()
export class SwarmMessageRouter {
  private readonly logger = new Logger(SwarmMessageRouter.name);

  constructor(
    private readonly layouts: SwarmLayoutReader,
    private readonly log: SwarmMessageLog,
  ) {}

  async send(namespace: Namespace, senderId: string, raw: unknown): Promise<AckResponse<SwarmMessageAck>> {
    const checked = checkRequest(raw);
    if ('error' in checked) return { ok: false, error: { code: 'validation_failed', message: checked.error } };
    const { swarmId, to, payload } = checked;
    const current = await this.layouts.current(swarmId);
    // Not a member (or no such swarm): nothing is logged, so nobody can write into another swarm's history.
    if (!current?.layout.nodes.some((n) => n.agentId === senderId)) {
      return { ok: false, error: { code: 'not_a_member', message: `you are not a member of swarm ${swarmId}` } };
    }
    const decision = decideMessage(current.layout, senderId, to ?? 'broadcast');
    const messageId = randomUUID();
    const sentAt = Date.now();
    if (decision.allowed) {
      const delivery: SwarmMessageDelivery = { message_id: messageId, swarm_id: swarmId, from: senderId, to, broadcast: to === null, payload, sent_at: new Date(sentAt).toISOString() };
      namespace.to(decision.recipients.map((id) => socketRooms.agent(id))).emit('swarm.message', delivery);
    }
    await this.log.append({
      messageId,
      swarmId,
      senderAgentId: senderId,
      toAgentId: to,
      broadcast: to === null,
      recipients: decision.allowed ? decision.recipients : [],
      delivered: decision.allowed,
      rule: decision.rule,
      reason: decision.allowed ? null : decision.message,
      payload: decision.allowed ? payload : null,
      sentAt,
    });
    if (!decision.allowed) {
      this.logger.debug({ swarmId, from: senderId, to, rule: decision.rule }, 'message refused by topology');
      return { ok: false, error: { code: 'forbidden_by_topology', rule: decision.rule, message: decision.message } };
    }
    return { ok: true, data: { message_id: messageId, rule: decision.rule, recipients: decision.recipients } };
  }
}

function checkRequest(raw: unknown): CheckedRequest | { error: string } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { error: 'a message must be an object {swarm_id, to | broadcast, payload}' };
  const { swarm_id: swarmId, to, broadcast, payload, ...extra } = raw as Record<string, unknown>;
  const unknown = Object.keys(extra);
  if (unknown.length > 0) return { error: unknown.map((key) => `property ${key} should not exist`).join('; ') };
  if (typeof swarmId !== 'string' || !UUID.test(swarmId)) return { error: 'swarm_id must be a UUID' };
  if (broadcast !== undefined && typeof broadcast !== 'boolean') return { error: 'broadcast must be a boolean' };
  if (to !== undefined && (typeof to !== 'string' || !UUID.test(to))) return { error: 'to must be an agent id (UUID)' };
  if ((to === undefined) === (broadcast !== true)) return { error: 'give either to (an agent id) or broadcast: true' };
  if (payload === undefined) return { error: 'payload is required (any JSON value)' };
  const size = Buffer.byteLength(JSON.stringify(payload) ?? '', 'utf8');
  if (size > SWARM_MESSAGE_PAYLOAD_MAX_BYTES) return { error: `payload is ${size} bytes; at most ${SWARM_MESSAGE_PAYLOAD_MAX_BYTES} are allowed` };
  return { swarmId, to: (to as string | undefined) ?? null, payload };
}
