export const API_KEY_ROLES = ['admin', 'operator', 'viewer'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/** Who is calling: resolved once per request by the auth guard from a key or a JWT. */
export interface Principal {
  ownerId: string;
  keyId: string;
  role: ApiKeyRole;
  /** The operator's own tenant, allowed to create other owners. */
  isSystemOwner: boolean;
}

const RANK: Record<ApiKeyRole, number> = { viewer: 0, operator: 1, admin: 2 };

/** Roles are ordered: an admin may do what an operator may, an operator what a viewer may. */
export function roleAllows(actual: ApiKeyRole, required: ApiKeyRole): boolean {
  return RANK[actual] >= RANK[required];
}
