import type { ApiKeyView } from '@swarm/contracts';
import type { ApiKey } from '@swarm/db';

export function presentApiKey(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: `sc_${key.prefix}`,
    role: key.role,
    owner_id: key.ownerId,
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}
