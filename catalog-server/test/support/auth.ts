// API tokens in tests: every request to the server names one (closed by default).
import { GraphQLClient } from 'graphql-request';
import type { RunningServer } from '../../src/server.js';

/** The headers that carry a token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** The first admin's token of an in-process server started on an empty catalog. */
export function firstAdminToken(server: RunningServer): string {
  if (!server.firstAdminToken) throw new Error('this server did not create the first admin: start it on an empty catalog');
  return server.firstAdminToken;
}

/** A GraphQL client acting as the first admin of `server` (or with `token`) at `url`. */
export function adminClient(server: RunningServer, url = server.graphqlUrl, token = firstAdminToken(server)): GraphQLClient {
  return new GraphQLClient(url, { headers: bearer(token) });
}
