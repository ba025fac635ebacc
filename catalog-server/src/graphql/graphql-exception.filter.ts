// Nest's default handler logs every error a resolver throws, with its stack, before Apollo sees
// it: an operator's typo would read like a server fault. This filter hands GraphQL errors straight
// to Apollo, where the error formatter maps them (and logs only the unexpected ones). On the HTTP
// routes it answers JSON `{ code, message }` (never an HTML page, a stack or a server path).
import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { LOGGER, type Logger } from '../common/logger.js';
import type { GqlContextType } from '@nestjs/graphql';
import type { ServerResponse } from 'node:http';

@Catch()
export class GraphQLPassThroughFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<GqlContextType>() === 'graphql') {
      // graphql-js treats an Error returned by a resolver as thrown by it.
      return exception;
    }
    const res = host.switchToHttp().getResponse<ServerResponse>();
    if (res.headersSent) {
      res.destroy();
      return undefined;
    }
    const known = exception instanceof HttpException;
    const status = known ? exception.getStatus() : 500;
    const answer = known ? exception.getResponse() : null;
    const body =
      answer && typeof answer === 'object' && 'code' in answer
        ? answer
        : {
            code: status === 404 ? 'NOT_FOUND' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_ERROR',
            message: known ? exception.message : 'internal error: the server log has the details',
          };
    if (!known) this.logger.error({ err: exception }, 'internal error on an HTTP route');
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
    return undefined;
  }
}
