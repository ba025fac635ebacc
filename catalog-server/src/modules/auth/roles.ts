// Roles and the declaration each GraphQL operation and HTTP route makes of the least role it needs.
// The declaration sits on the resolver method (`@RequireRole(Role.OPERATOR)`); RolesGuard enforces
// it, and an operation that declares nothing is refused (closed by default). An HTTP route that
// serves no data may instead declare itself public (`@PublicRoute('why')`). A test walks the
// schema to prove every operation declares one.
import { SetMetadata } from '@nestjs/common';
import { registerEnumType } from '@nestjs/graphql';

/** Each role includes the ones before it. */
export enum Role {
  /** Reads: queries and subscriptions. */
  VIEWER = 'VIEWER',
  /** Runs the site's tape work: backups, restores, verifies, tape moves, operator requests. */
  OPERATOR = 'OPERATOR',
  /** Changes what the site keeps and who may act: forced formats, pools, retention, schedules,
   *  agents, operators and tokens. */
  ADMIN = 'ADMIN',
}

registerEnumType(Role, { name: 'Role', description: 'What an operator may do; each role includes the ones before it.' });

const RANK: Record<Role, number> = { [Role.VIEWER]: 0, [Role.OPERATOR]: 1, [Role.ADMIN]: 2 };

export function roleIncludes(held: Role, needed: Role): boolean {
  return RANK[held] >= RANK[needed];
}

export interface RoleRequirement {
  role: Role;
  /** A stronger role some arguments call for (e.g. formatTape with force: ADMIN). */
  escalate?: { role: Role; when: (args: Record<string, unknown>) => boolean; why: string };
}

export const ROLE_KEY = 'ferrite:role';

/** Declares the least role an operation needs. */
export const RequireRole = (role: Role, escalate?: RoleRequirement['escalate']) => SetMetadata(ROLE_KEY, { role, escalate } satisfies RoleRequirement);

export const PUBLIC_KEY = 'ferrite:public';

/**
 * Declares an HTTP route that needs no token, with the reason it is safe (it serves no data, e.g.
 * the GraphQL IDE's page and scripts). Only for HTTP routes: every GraphQL operation needs a token.
 */
export const PublicRoute = (why: string) => SetMetadata(PUBLIC_KEY, why);

/** The role an operation with these arguments needs. */
export function neededRole(req: RoleRequirement, args: Record<string, unknown>): { role: Role; why?: string } {
  if (req.escalate && req.escalate.when(args)) return { role: req.escalate.role, why: req.escalate.why };
  return { role: req.role };
}

/** The HTTP status of an authentication or authorization refusal, over GraphQL and the HTTP routes alike. */
export const REFUSAL_HTTP_STATUS: Partial<Record<string, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, RATE_LIMITED: 429 };
