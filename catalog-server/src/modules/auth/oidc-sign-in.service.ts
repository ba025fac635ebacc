// Sign-in with an OpenID Connect token: the issuer verifies it, its claims name the operator
// `oidc:<username>` and its role, and that operator has a row like any other, created at the first
// sign-in and given the role of each later one (the identity provider decides roles; the row lets
// the audit log, `operators` and disableOperator name the person). Creations, role changes and
// sign-ins refused for want of a role go to the audit log.
import { Inject, Injectable } from '@nestjs/common';
import type { Operator } from '@ferrite/db';
import { FerriteError } from '../../common/errors.js';
import { SERVER_CONFIG, type ServerConfig } from '../../config/config.js';
import { AuditService } from './audit.service.js';
import { oidcIdentity, oidcMapping, type OidcIdentity, type OidcMapping } from './oidc-claims.js';
import { OidcIssuer } from './oidc-issuer.js';
import { OperatorsRepository } from './operators.repository.js';
import type { Role } from './roles.js';

const OPERATION = 'authenticate';

@Injectable()
export class OidcSignInService {
  private readonly mapping: OidcMapping;

  constructor(
    private readonly issuer: OidcIssuer,
    private readonly repo: OperatorsRepository,
    private readonly audit: AuditService,
    @Inject(SERVER_CONFIG) config: ServerConfig,
  ) {
    this.mapping = oidcMapping(config);
  }

  get enabled(): boolean {
    return this.issuer.enabled;
  }

  /** The operator a token signs in as (disabled or not: the caller decides); UNAUTHENTICATED for a
   *  token the issuer did not sign for us, FORBIDDEN for one that maps to no role. */
  async signIn(token: string, address: string): Promise<Operator> {
    const claims = await this.issuer.verify(token);
    let identity: OidcIdentity;
    try {
      identity = oidcIdentity(claims, this.mapping);
    } catch (err) {
      if (err instanceof FerriteError && err.code === 'FORBIDDEN') await this.record(String(err.details.operator), address, err.code, err.message);
      throw err;
    }
    return this.operatorFor(identity, address);
  }

  private async operatorFor({ operator, role }: OidcIdentity, address: string): Promise<Operator> {
    const found = await this.repo.findOperator(operator);
    // A disabled operator keeps the role it had: it acts as nobody until an admin enables it.
    if (found && ((found.role as Role) === role || found.disabledAt)) return found;
    if (found) {
      const updated = await this.repo.updateOperator(found.id, { role });
      await this.record(operator, address, 'OK', `the identity provider changed the role of ${operator}: ${found.role} -> ${role}`);
      return updated;
    }
    const created = await this.repo.createOperator(operator, role);
    // Null: a concurrent first sign-in created it a moment ago.
    if (!created) return this.operatorFor({ operator, role }, address);
    await this.record(operator, address, 'OK', `first sign-in through OpenID Connect: created ${operator} with role ${role}`);
    return created;
  }

  private record(operator: string, address: string, result: string, message: string): Promise<void> {
    return this.audit.record({ operator, tokenId: null, address: address || null, operation: OPERATION, arguments: null, result, message });
  }
}
