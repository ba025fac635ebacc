// GraphiQL's fetcher for Ferrite: queries and mutations over HTTP POST to the page's own origin with
// the headers typed in the headers editor; subscriptions over graphql-ws on the same origin, with
// the Authorization header of the editor sent as the connection's `authorization` parameter (the
// server reads the token there: a WebSocket cannot carry headers from a browser).
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { getOperationAST, OperationTypeNode, parse } from 'graphql';
import { createClient, type Client } from 'graphql-ws';

/** The value of a header named case-insensitively, as a string, or undefined. */
export function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : headers?.[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Whether the operation to run is a subscription, from the query text itself (GraphiQL's documentAST
 * can lag behind a fast edit). A document that does not parse goes to the server, which says why.
 */
function isSubscription(query: string, operationName: string | null | undefined): boolean {
  try {
    return getOperationAST(parse(query), operationName)?.operation === OperationTypeNode.SUBSCRIPTION;
  } catch {
    return false;
  }
}

export function ferriteFetcher(httpUrl: string, wsUrl: string): Fetcher {
  const http = createGraphiQLFetcher({ url: httpUrl });
  // One socket per token: a token changed in the editor opens a new socket and closes the old one.
  let ws: { authorization: string | undefined; client: Client } | undefined;
  const clientFor = (authorization: string | undefined): Client => {
    if (ws?.authorization !== authorization) {
      void ws?.client.dispose();
      ws = { authorization, client: createClient({ url: wsUrl, connectionParams: authorization ? { authorization } : {} }) };
    }
    return ws.client;
  };
  return (params, opts) => {
    if (isSubscription(params.query, params.operationName))
      return clientFor(headerValue(opts?.headers, 'authorization')).iterate({ ...params, operationName: params.operationName ?? undefined });
    return http(params, opts);
  };
}
