// Who a verified OpenID Connect token names and which role it carries: pure rules on its claims.
// The user is the operator `oidc:<username>` (a prefix no local operator name can take, so a
// sign-in never acts as a local operator); the role is the highest one any value of the role claim
// maps to, and a token that maps to none is refused (FORBIDDEN), never given a default role.
import { FerriteError } from '../../common/errors.js';
import type { ServerConfig } from '../../config/config.js';
import { Role, roleIncludes } from './roles.js';

export const OIDC_OPERATOR_PREFIX = 'oidc:';

/** A username as the identity provider gives it: printable, no spaces, 1 to 128 characters. */
const USERNAME = /^[^\s\p{Cc}]{1,128}$/u;

export interface OidcMapping {
  roleClaim: string;
  usernameClaim: string;
  /** Claim value -> the highest role it grants. */
  roles: ReadonlyMap<string, Role>;
}

export interface OidcIdentity {
  /** `oidc:<username>`. */
  operator: string;
  role: Role;
}

export function oidcMapping(config: ServerConfig): OidcMapping {
  const roles = new Map<string, Role>();
  // Lowest first, so a value listed for two roles keeps the higher one.
  for (const [role, values] of [
    [Role.VIEWER, config.oidcViewerValues],
    [Role.OPERATOR, config.oidcOperatorValues],
    [Role.ADMIN, config.oidcAdminValues],
  ] as const)
    for (const v of values) roles.set(v, role);
  return { roleClaim: config.oidcRoleClaim, usernameClaim: config.oidcUsernameClaim, roles };
}

export function isOidcOperator(name: string): boolean {
  return name.startsWith(OIDC_OPERATOR_PREFIX) && USERNAME.test(name.slice(OIDC_OPERATOR_PREFIX.length));
}

/** The operator and role of a verified token's claims: UNAUTHENTICATED when it names no usable user,
 *  FORBIDDEN (naming the operator) when none of its role claim values maps to a role. */
export function oidcIdentity(claims: Record<string, unknown>, mapping: OidcMapping): OidcIdentity {
  const username = usernameOf(claims, mapping.usernameClaim);
  const operator = OIDC_OPERATOR_PREFIX + username;
  const values = claimValues(claims, mapping.roleClaim);
  let role: Role | null = null;
  for (const v of values) {
    const granted = mapping.roles.get(v);
    if (granted && (!role || !roleIncludes(role, granted))) role = granted;
  }
  if (role) return { operator, role };
  const shown = values.length ? `its values ${JSON.stringify(values.slice(0, 20))}` : 'it is absent or empty';
  throw new FerriteError(
    'FORBIDDEN',
    `${operator} signed in, but its token's \`${mapping.roleClaim}\` claim grants no Ferrite role (${shown}): an admin lists the values of each role in FERRITE_OIDC_ADMIN_VALUES, FERRITE_OIDC_OPERATOR_VALUES or FERRITE_OIDC_VIEWER_VALUES`,
    { operator },
  );
}

function usernameOf(claims: Record<string, unknown>, claim: string): string {
  for (const name of [claim, 'sub']) {
    const v = claims[name];
    if (typeof v === 'string' && v !== '') {
      if (!USERNAME.test(v))
        throw new FerriteError('UNAUTHENTICATED', `the token's \`${name}\` claim is not a usable username (1 to 128 characters, no spaces)`);
      return v;
    }
  }
  throw new FerriteError('UNAUTHENTICATED', `the token names no user (neither a \`${claim}\` nor a \`sub\` claim)`);
}

/** The string values of a claim: one string, or the strings of an array. A claim name with dots that
 *  is not itself a claim is read as a path (`realm_access.roles`). */
export function claimValues(claims: Record<string, unknown>, claim: string): string[] {
  let v: unknown = claims[claim];
  if (v === undefined && claim.includes('.'))
    v = claim.split('.').reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), claims);
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}
