// Authentication of GraphQL requests, before any resolver runs (so introspection and __typename
// need a token too). Over HTTP the context function authenticates the Authorization header; over
// graphql-ws the connection is refused for a browser page of a foreign Origin, and every operation
// started on it is authenticated from the connection's `authorization` parameter (a token revoked
// since the socket opened stops working at the next operation). Tokens never travel in URLs.
import type { IncomingMessage } from 'node:http';
import { GraphQLError, Kind, parse } from 'graphql';
import { LIMITS } from './request-limits.js';
import type { Context as WsContext } from 'graphql-ws';
import { FerriteError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { AuditService } from '../modules/auth/audit.service.js';
import type { OperatorsService, Principal } from '../modules/auth/operators.service.js';
import type { AuthContext } from '../modules/auth/roles.guard.js';
import { REFUSAL_HTTP_STATUS } from '../modules/auth/roles.js';

type WsExtra = { request: IncomingMessage; principal?: Principal };
// graphql-ws types `extra` as unknown; with the `ws` server Nest uses it is { socket, request }, plus what we add.
type Ws = WsContext<Record<string, unknown> | undefined, unknown>;
const extraOf = (ctx: Ws) => ctx.extra as WsExtra;

function asGraphQLError(err: unknown): GraphQLError {
  if (err instanceof FerriteError && REFUSAL_HTTP_STATUS[err.code])
    return new GraphQLError(err.message, { extensions: { code: err.code, http: { status: REFUSAL_HTTP_STATUS[err.code] } } });
  if (err instanceof FerriteError) return new GraphQLError(err.message, { extensions: { code: err.code } });
  return new GraphQLError('internal error: the server log has the details', { extensions: { code: 'INTERNAL_ERROR' } });
}

/** The context function: HTTP requests authenticated here; WebSocket operations in onSubscribe. */
export function graphqlContext(operators: OperatorsService, audit: AuditService, log: Logger) {
  return async (arg: { req?: IncomingMessage; extra?: WsExtra }): Promise<AuthContext & { req?: IncomingMessage }> => {
    if (arg.extra && !arg.req) return { principal: arg.extra.principal, address: arg.extra.request.socket.remoteAddress };
    const req = arg.req!;
    const address = req.socket.remoteAddress;
    try {
      return { req, address, principal: await operators.authenticate(req.headers.authorization, address) };
    } catch (err) {
      if (!(err instanceof FerriteError)) log.error({ err }, 'authentication failed');
      else await audit.recordUnauthenticated(err, address, 'authenticate');
      throw asGraphQLError(err);
    }
  };
}

/** The kind of the (single) operation of a document, or the parse error. */
function operationKind(query: string): string | GraphQLError {
  try {
    const doc = parse(query, { maxTokens: LIMITS.tokens });
    const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    return ops.length === 1 ? ops[0].operation : new GraphQLError('send exactly one operation per subscribe message', { extensions: { code: 'BAD_REQUEST' } });
  } catch (err) {
    return new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
  }
}

/** Whether a WebSocket upgrade may proceed: no Origin (not a browser), the server's own, or one the site allows. */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** graphql-ws hooks: Origin at connection, the token at each operation. */
export function graphqlWsAuth(operators: OperatorsService, audit: AuditService, allowedOrigins: readonly string[], log: Logger) {
  return {
    onConnect: (ctx: Ws): boolean => {
      if (originAllowed(extraOf(ctx).request, allowedOrigins)) return true;
      log.warn({ origin: extraOf(ctx).request.headers.origin }, 'refused a GraphQL WebSocket from a foreign Origin (set FERRITE_ALLOWED_ORIGINS to allow it)');
      return false;
    },
    onSubscribe: async (ctx: Ws, _id: string, payload: { query: string }): Promise<GraphQLError[] | undefined> => {
      // Subscriptions only: queries and mutations go over HTTP, where every limit and the audit
      // log's request context apply.
      const kind = operationKind(payload.query);
      if (kind instanceof GraphQLError) return [kind];
      if (kind !== 'subscription')
        return [new GraphQLError(`a ${kind} goes over HTTP POST; the WebSocket carries subscriptions only`, { extensions: { code: 'BAD_REQUEST' } })];
      const params = ctx.connectionParams ?? {};
      const header = params.authorization ?? params.Authorization;
      try {
        extraOf(ctx).principal = await operators.authenticate(typeof header === 'string' ? header : undefined, extraOf(ctx).request.socket.remoteAddress);
        return undefined;
      } catch (err) {
        extraOf(ctx).principal = undefined;
        if (err instanceof FerriteError) await audit.recordUnauthenticated(err, extraOf(ctx).request.socket.remoteAddress, 'authenticate');
        return [asGraphQLError(err)];
      }
    },
  };
}
