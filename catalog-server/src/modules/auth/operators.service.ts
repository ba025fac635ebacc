// Operators and API tokens: who may use the API and with which role. authenticate() is the one
// check every request passes (GraphQL over HTTP and WebSocket, and the HTTP routes): a Ferrite API
// token (`fer_...`), or, when the site has an identity provider, an OpenID Connect token
// (oidc-sign-in.service.ts).
import { Inject, Injectable } from '@nestjs/common';
import { SERVER_CONFIG, type ServerConfig } from '../../config/config.js';
import type { Operator } from '@ferrite/db';
import { FerriteError } from '../../common/errors.js';
import { isUuid } from '../../common/ids.js';
import { bearerCredential, bearerToken, hashApiToken, isApiTokenLike, newApiToken } from './api-tokens.js';
import { FailedAuthLimiter } from './failed-auth-limiter.js';
import { isOidcOperator } from './oidc-claims.js';
import { OidcSignInService } from './oidc-sign-in.service.js';
import { OperatorsRepository, type TokenRow } from './operators.repository.js';
import { Role } from './roles.js';
import type { ApiTokenModel, CreateApiTokenInput, CreateOperatorInput, OperatorModel } from './models/operator.model.js';

/** Who a request acts as. */
export interface Principal {
  operatorId: string;
  operator: string;
  role: Role;
  /** The API token; null for an OpenID Connect sign-in. */
  tokenId: string | null;
}

/** Why a request without an Authorization header is refused. */
export const NO_TOKEN = 'no API token: send the header `Authorization: Bearer <token>`';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The operator the first start creates. */
export const FIRST_ADMIN = 'admin';

@Injectable()
export class OperatorsService {
  private readonly limiter: FailedAuthLimiter;
  /** When this process last recorded each token's use (one entry per token used: a few). */
  private readonly lastNoted = new Map<string, number>();

  constructor(
    private readonly repo: OperatorsRepository,
    private readonly oidc: OidcSignInService,
    @Inject(SERVER_CONFIG) config: ServerConfig,
  ) {
    this.limiter = new FailedAuthLimiter(config.authFailuresPerMinute, 60_000);
  }

  /**
   * The principal behind an Authorization header; UNAUTHENTICATED saying why not. A client address
   * with too many failures in the last minute is refused (RATE_LIMITED) before any lookup.
   */
  async authenticate(authorization: string | undefined | null, address = '', now = new Date()): Promise<Principal> {
    const wait = this.limiter.retryAfterMs(address, now.getTime());
    if (wait > 0)
      throw new FerriteError('RATE_LIMITED', `too many failed authentications from ${address || 'this client'}: try again in ${Math.ceil(wait / 1000)} s`, {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    try {
      return await this.check(authorization, address, now);
    } catch (err) {
      if (err instanceof FerriteError && err.code === 'UNAUTHENTICATED') this.limiter.recordFailure(address, now.getTime());
      throw err;
    }
  }

  private async check(authorization: string | undefined | null, address: string, now: Date): Promise<Principal> {
    if (!authorization) throw unauthenticated(NO_TOKEN);
    const credential = bearerCredential(authorization);
    if (credential && !isApiTokenLike(credential) && this.oidc.enabled) return principalOf(await this.oidc.signIn(credential, address), null);
    const token = bearerToken(authorization);
    if (!token)
      throw unauthenticated(
        `the Authorization header is not \`Bearer fer_...\` with a well-formed Ferrite API token${this.oidc.enabled ? ' (nor an OpenID Connect token)' : ''}`,
      );
    const row = await this.repo.findTokenByHash(hashApiToken(token));
    if (!row) throw unauthenticated('unknown API token');
    if (row.revokedAt) throw unauthenticated(`API token ${row.id} was revoked`);
    if (row.expiresAt && row.expiresAt <= now) throw unauthenticated(`API token ${row.id} expired at ${row.expiresAt.toISOString()}`);
    const principal = principalOf(row.operator, row.id);
    this.noteUse(row.id, now);
    return principal;
  }

  /** Records a token's use at most once a minute from this process (the SQL keeps it so across
   *  replicas), so an ordinary request costs no write. */
  private noteUse(tokenId: string, now: Date): void {
    const last = this.lastNoted.get(tokenId) ?? 0;
    if (now.getTime() - last < 60_000) return;
    this.lastNoted.set(tokenId, now.getTime());
    void this.repo.touchToken(tokenId, now).catch(() => undefined);
  }

  /**
   * On the first start (no operator yet) creates the operator `admin` with role ADMIN and returns a
   * token for it, which the caller shows once. Null when operators exist (or another replica made
   * the first admin at the same moment).
   */
  async ensureFirstAdmin(): Promise<string | null> {
    if ((await this.repo.countOperators()) > 0) return null;
    const admin = await this.repo.createOperator(FIRST_ADMIN, 'ADMIN');
    if (!admin) return null;
    const token = newApiToken();
    await this.repo.createToken(admin.id, 'first start', hashApiToken(token), null);
    return token;
  }

  async createOperator(input: CreateOperatorInput): Promise<OperatorModel> {
    checkName(input.name);
    const created = await this.repo.createOperator(input.name, input.role);
    if (!created) throw new FerriteError('OPERATOR_ALREADY_EXISTS', `operator ${JSON.stringify(input.name)} already exists`, { name: input.name });
    return toOperatorModel(created);
  }

  async setRole(name: string, role: Role): Promise<OperatorModel> {
    const op = await this.operator(name);
    if (isOidcOperator(op.name))
      throw new FerriteError('INVALID_ARGUMENT', `the role of ${op.name} comes from the identity provider at each sign-in: change its groups there`, {
        name: op.name,
      });
    if (op.role === 'ADMIN' && role !== Role.ADMIN) await this.keepAnAdmin(op, `cannot make ${name} ${role}`);
    return toOperatorModel(await this.repo.updateOperator(op.id, { role }));
  }

  async setDisabled(name: string, disabled: boolean): Promise<OperatorModel> {
    const op = await this.operator(name);
    if (disabled && op.role === 'ADMIN' && !isOidcOperator(op.name)) await this.keepAnAdmin(op, `cannot disable ${name}`);
    return toOperatorModel(await this.repo.updateOperator(op.id, { disabledAt: disabled ? (op.disabledAt ?? new Date()) : null }));
  }

  async listOperators(): Promise<OperatorModel[]> {
    return (await this.repo.listOperators()).map(toOperatorModel);
  }

  async me(principal: Principal): Promise<OperatorModel> {
    return this.operator(principal.operator).then(toOperatorModel);
  }

  async createToken(input: CreateApiTokenInput, now = new Date()): Promise<{ token: string; apiToken: ApiTokenModel }> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 100) throw new FerriteError('INVALID_ARGUMENT', 'a token name has 1 to 100 characters', { field: 'name' });
    const days = input.expiresInDays ?? null;
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > 3650))
      throw new FerriteError('INVALID_ARGUMENT', `expiresInDays must be 1 to 3650 (or null: never), not ${days}`, { field: 'expiresInDays' });
    const op = await this.operator(input.operator);
    if (op.disabledAt) throw new FerriteError('INVALID_ARGUMENT', `operator ${op.name} is disabled`, { operator: op.name });
    // A token would keep acting with the role of the last sign-in after the identity provider took it away.
    if (isOidcOperator(op.name))
      throw new FerriteError('INVALID_ARGUMENT', `${op.name} signs in through the identity provider: give scripts a local operator and its token`, {
        operator: op.name,
      });
    const token = newApiToken();
    const expiresAt = days === null ? null : new Date(now.getTime() + days * 86_400_000);
    const row = await this.repo.createToken(op.id, name, hashApiToken(token), expiresAt);
    return { token, apiToken: toApiTokenModel(row) };
  }

  async listTokens(operator: string | null): Promise<ApiTokenModel[]> {
    const op = operator === null ? null : await this.operator(operator);
    return (await this.repo.listTokens(op?.id ?? null)).map(toApiTokenModel);
  }

  /** An admin revokes any token; anyone else only their own (a leaked token can always be ended by its owner). */
  async revokeToken(id: string, by: Principal): Promise<ApiTokenModel> {
    const row = isUuid(id) ? await this.repo.findToken(id) : null;
    if (!row) throw new FerriteError('TOKEN_NOT_FOUND', `API token ${JSON.stringify(id)} does not exist`, { id });
    if (by.role !== Role.ADMIN && row.operatorId !== by.operatorId)
      throw new FerriteError('FORBIDDEN', `revoking another operator's token needs role ADMIN; ${by.operator} has ${by.role}`);
    return toApiTokenModel(await this.repo.revokeToken(id, new Date()));
  }

  private async operator(name: string): Promise<Operator> {
    const op = NAME.test(name) || isOidcOperator(name) ? await this.repo.findOperator(name) : null;
    if (!op) throw new FerriteError('OPERATOR_NOT_FOUND', `operator ${JSON.stringify(name)} does not exist`, { name });
    return op;
  }

  /** OIDC admins do not count: their role is that of their last sign-in, and a local admin is the way
   *  in when the identity provider is down or has taken the role away. */
  private async keepAnAdmin(op: Operator, what: string): Promise<void> {
    if ((await this.repo.countOtherLocalAdmins(op.id)) === 0)
      throw new FerriteError('LAST_ADMIN', `${what}: it is the last enabled admin (make another local operator ADMIN first)`, { name: op.name });
  }
}

/** Who an enabled operator's request acts as; a disabled one's is refused. */
function principalOf(op: Operator, tokenId: string | null): Principal {
  if (op.disabledAt) throw unauthenticated(`operator ${op.name} is disabled`);
  return { operatorId: op.id, operator: op.name, role: op.role as Role, tokenId };
}

function unauthenticated(message: string): FerriteError {
  return new FerriteError('UNAUTHENTICATED', message);
}

function checkName(name: string): void {
  if (!NAME.test(name))
    throw new FerriteError(
      'INVALID_ARGUMENT',
      `operator name ${JSON.stringify(name)}: use letters, digits, dot, dash and underscore, 1 to 64 characters, starting with a letter or digit`,
      {
        field: 'name',
      },
    );
}

function toOperatorModel(o: Operator): OperatorModel {
  return { id: o.id, name: o.name, role: o.role as Role, createdAt: o.createdAt, disabledAt: o.disabledAt };
}

function toApiTokenModel(t: TokenRow): ApiTokenModel {
  return {
    id: t.id,
    name: t.name,
    operator: t.operator.name,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
  };
}
