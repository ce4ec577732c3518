import { hashApiKey, randomToken } from './api-key';

/**
 * Agent tokens: sa_<prefix>_<secret>, same construction as API keys (prefix in clear for the
 * lookup, SHA-256 of the whole token stored) but a different marker, so neither can be used
 * where the other is expected.
 */
export const AGENT_TOKEN_PATTERN = /^sa_([A-Za-z0-9]{8})_([A-Za-z0-9]{32,})$/;

export interface GeneratedAgentToken {
  token: string;
  prefix: string;
  hash: string;
}

export function generateAgentToken(): GeneratedAgentToken {
  const prefix = randomToken(8);
  const token = `sa_${prefix}_${randomToken(32)}`;
  return { token, prefix, hash: hashApiKey(token) };
}

export function parseAgentToken(token: string): { prefix: string } | null {
  const match = AGENT_TOKEN_PATTERN.exec(token);
  return match ? { prefix: match[1] } : null;
}
