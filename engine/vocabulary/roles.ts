/**
 * Roles and namespaces: who may do what, where (docs/security.md). A role includes every role
 * before it in ROLES: an operator can do all a viewer can, an admin all an operator can.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** True when `held` is at least `needed`. */
export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The namespace a request uses when it names none. */
export const DEFAULT_NAMESPACE = 'default';

/** Lower-case letters, digits and `-`, starting with a letter or digit, at most 63 characters (a DNS label). */
export const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** What a credential may touch: a list of namespaces, or every one (`*`). */
export type NamespaceGrant = string[] | '*';

export function grantAllows(grant: NamespaceGrant, namespace: string): boolean {
  return grant === '*' || grant.includes(namespace);
}
