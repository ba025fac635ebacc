// The one place roles are enforced, for every GraphQL operation and HTTP route (an APP_GUARD).
// GraphQL requests arrive authenticated (graphql-auth.ts puts the principal in the context; a
// request without a valid token never reaches a resolver); HTTP routes are authenticated here.
// An operation that declares no role is refused: closed by default. HTTP routes declared
// @PublicRoute (no data: the GraphQL IDE's files, the health probes' ok / not ok) are let through
// without a token.
import { HttpException, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext, type GqlContextType } from '@nestjs/graphql';
import type { IncomingMessage } from 'node:http';
import { FerriteError } from '../../common/errors.js';
import { NO_TOKEN, OperatorsService, type Principal } from './operators.service.js';
import { AuditService } from './audit.service.js';
import { redactArguments } from './audit-redaction.js';
import { neededRole, PUBLIC_KEY, REFUSAL_HTTP_STATUS, roleIncludes, ROLE_KEY, type RoleRequirement } from './roles.js';

/** The GraphQL context of an authenticated request. */
export interface AuthContext {
  principal?: Principal;
  /** The client's address (for the audit log and the failed-authentication limit). */
  address?: string;
}

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly operators: OperatorsService,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.reflector.getAllAndOverride<RoleRequirement | undefined>(ROLE_KEY, [context.getHandler(), context.getClass()]);
    if (context.getType<GqlContextType>() === 'graphql') {
      const gql = GqlExecutionContext.create(context);
      const info = gql.getInfo<{ parentType: { name: string }; fieldName: string }>();
      const operation = `${info.parentType.name}.${info.fieldName}`;
      const ctx = gql.getContext<AuthContext>();
      if (!ctx.principal) throw new FerriteError('UNAUTHENTICATED', NO_TOKEN);
      await this.checked(operation, requirement, ctx.principal, gql.getArgs(), ctx.address ?? null);
      return true;
    }
    // A route that serves no data (the IDE's page and scripts) says so explicitly; nothing is public by omission.
    if (this.reflector.get<string | undefined>(PUBLIC_KEY, context.getHandler())) return true;
    const req = context.switchToHttp().getRequest<IncomingMessage & { principal?: Principal; params?: Record<string, unknown> }>();
    const operation = `${req.method ?? 'GET'} ${context.getClass().name}.${context.getHandler().name}`;
    const address = req.socket.remoteAddress ?? null;
    try {
      req.principal = await this.operators.authenticate(req.headers.authorization, address ?? '');
      await this.checked(operation, requirement, req.principal, req.params ?? {}, address);
    } catch (err) {
      if (!(err instanceof FerriteError)) throw err;
      await this.audit.recordUnauthenticated(err, address, operation);
      const status = REFUSAL_HTTP_STATUS[err.code] ?? 500;
      throw new HttpException({ code: err.code, message: status === 500 ? 'internal error: the server log has the details' : err.message }, status);
    }
    return true;
  }

  /** The role check; a refusal is written to the audit log before it is thrown. */
  private async checked(
    operation: string,
    requirement: RoleRequirement | undefined,
    principal: Principal,
    args: Record<string, unknown>,
    address: string | null,
  ) {
    try {
      check(operation, requirement, principal, args);
    } catch (err) {
      const e = err as FerriteError;
      await this.audit.record({
        operator: principal.operator,
        tokenId: principal.tokenId,
        address,
        operation,
        arguments: redactArguments(args),
        result: e.code,
        message: e.message,
      });
      throw err;
    }
  }
}

function check(operation: string, requirement: RoleRequirement | undefined, principal: Principal, args: Record<string, unknown>): void {
  if (!requirement) throw new FerriteError('FORBIDDEN', `${operation} declares no role, so nobody may call it (a server bug: report it)`);
  const needed = neededRole(requirement, args);
  if (!roleIncludes(principal.role, needed.role))
    throw new FerriteError(
      'FORBIDDEN',
      `${operation}${needed.why ? ` ${needed.why}` : ''} needs role ${needed.role}; operator ${principal.operator} has ${principal.role}`,
      { needed: needed.role, role: principal.role },
    );
}
