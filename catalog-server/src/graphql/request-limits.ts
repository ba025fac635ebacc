// Limits on what one request may ask, so no query can take the catalog down: the size of the body,
// and (GraphQL Armor) the depth, aliases, directives, tokens and static cost of an operation. The
// limits hold over HTTP and over graphql-ws, and each refusal is a GraphQL error with a code (a body
// over the limit included: never the HTML page with a stack that Express would send).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';

/** The largest request body (a big restore selection is a few KB; 4,000 aliases of `tapes` are 90). */
export const MAX_BODY = '256kb';

export const LIMITS = {
  /** Deeper than any query of the API needs (files -> edges -> node -> placements is 5). */
  depth: 12,
  aliases: 15,
  directives: 20,
  tokens: 5_000,
  /**
   * Static cost, GraphQL Armor's: a scalar 1, an object 2 plus 1.5 x its fields, the whole times
   * `first` of a list. A full page of 500 file versions with placements and attributes costs about
   * 100,000; a list of lists (jobs(first: 500) { events(first: 500) }) costs millions.
   */
  cost: 200_000,
} as const;

export function armor() {
  return new ApolloArmor({
    maxDepth: { n: LIMITS.depth },
    maxAliases: { n: LIMITS.aliases },
    maxDirectives: { n: LIMITS.directives },
    maxTokens: { n: LIMITS.tokens },
    costLimit: { maxCost: LIMITS.cost },
    // Every request is authenticated: suggestions help operators and show nothing new.
    blockFieldSuggestion: { enabled: false },
  }).protect();
}

/** graphql-ws validates with graphql-js alone: this adds the same rules as over HTTP. */
export function validateWithLimits(rules: readonly ValidationRule[]) {
  return (schema: GraphQLSchema, document: DocumentNode) => validate(schema, document, [...specifiedRules, ...rules]);
}

/** Express error handler for the body parser: too large (413) or not JSON (400), as GraphQL JSON. */
export function bodyErrors(
  err: { status?: number; type?: string; message?: string },
  _req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
): void {
  if (res.headersSent) return next(err);
  const status = err.status ?? 500;
  const [code, message] =
    err.type === 'entity.too.large'
      ? ['REQUEST_TOO_LARGE', `the request body is over the ${MAX_BODY} the server accepts`]
      : err.type === 'entity.parse.failed'
        ? ['BAD_REQUEST', 'the request body is not valid JSON']
        : status < 500
          ? ['BAD_REQUEST', 'the request could not be read']
          : ['INTERNAL_ERROR', 'internal error: the server log has the details'];
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}
