// The one mapper from errors to GraphQL responses. A FerriteError keeps its message and travels as
// `extensions.code` (+ `details`); GraphQL's own request errors (parse, validation, bad variables)
// keep Apollo's codes; anything else is a bug or an outage: the client gets INTERNAL_ERROR and a
// generic message, the log gets the real error.
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { FerriteError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { REFUSAL_HTTP_STATUS } from '../modules/auth/roles.js';

// Codes Apollo and graphql-js assign to errors in the request itself: the message is about the
// client's query and is safe (and useful) to show.
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  // Refusals made before any resolver ran (graphql-auth.ts): the message says what to send (or, for
  // an OIDC sign-in that maps to no role, FORBIDDEN, what the site must grant).
  ...Object.keys(REFUSAL_HTTP_STATUS),
]);

export function createGraphQLErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof FerriteError) {
      // A database failure: the client gets the code and the operation, the log the database's words.
      if (original.cause !== undefined) logger.error({ err: original.cause, code: original.code, path: formatted.path }, original.message);
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: original.code, details: original.details },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) return formatted;
    logger.error({ err: original, path: formatted.path }, 'internal error while resolving a GraphQL operation');
    return {
      message: 'internal error: the server log has the details',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_ERROR' },
    };
  };
}
