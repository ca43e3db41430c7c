/** Who is signed in (GET /v1/whoami) and what their role allows; pages read it with useSession(). */
import { createContext, useContext } from 'react';
import type { Role, Whoami } from '../data/types';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export interface SessionInfo {
  whoami: Whoami;
  namespace: string;
  /** Whether the signed-in role is at least `role` (offer an action only then; the server checks anyway). */
  can(role: Role): boolean;
}

export const SessionContext = createContext<SessionInfo | null>(null);

export function sessionInfo(whoami: Whoami, namespace: string): SessionInfo {
  return { whoami, namespace, can: (role) => RANK[whoami.role] >= RANK[role] };
}

export function useSession(): SessionInfo {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in layout');
  return s;
}
