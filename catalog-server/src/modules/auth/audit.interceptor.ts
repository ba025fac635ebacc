// Writes one audit event per mutation, after it ran (its result: OK or the error code), over HTTP
// and WebSocket alike. Refusals before a resolver runs are recorded where they happen (RolesGuard,
// graphql-auth.ts).
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { GqlExecutionContext, type GqlContextType } from '@nestjs/graphql';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import { FerriteError } from '../../common/errors.js';
import { redactArguments } from './audit-redaction.js';
import { AuditService } from './audit.service.js';
import type { AuthContext } from './roles.guard.js';

@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType<GqlContextType>() !== 'graphql') return next.handle();
    const gql = GqlExecutionContext.create(context);
    const info = gql.getInfo<{ parentType: { name: string }; fieldName: string }>();
    if (info.parentType.name !== 'Mutation') return next.handle();
    const ctx = gql.getContext<AuthContext>();
    const base = {
      operator: ctx.principal?.operator ?? null,
      tokenId: ctx.principal?.tokenId ?? null,
      address: ctx.address ?? null,
      operation: `Mutation.${info.fieldName}`,
      arguments: redactArguments(gql.getArgs()),
    };
    return next.handle().pipe(
      mergeMap((value: unknown) => from(this.audit.record({ ...base, result: 'OK', message: null }).then((): unknown => value))),
      catchError((err: unknown) => {
        const known = err instanceof FerriteError;
        const event = { ...base, result: known ? err.code : 'INTERNAL_ERROR', message: known ? err.message : null };
        return from(this.audit.record(event)).pipe(mergeMap(() => throwError(() => err)));
      }),
    );
  }
}
