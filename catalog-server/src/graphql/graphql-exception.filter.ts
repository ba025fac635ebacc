// Nest's default handler logs every error a resolver throws, with its stack, before Apollo sees
// it: an operator's typo would read like a server fault. This filter hands GraphQL errors straight
// to Apollo, where the error formatter maps them (and logs only the unexpected ones).
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { GqlContextType } from '@nestjs/graphql';

@Catch()
export class GraphQLPassThroughFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<GqlContextType>() !== 'graphql') throw exception;
    // graphql-js treats an Error returned by a resolver as thrown by it.
    return exception;
  }
}
