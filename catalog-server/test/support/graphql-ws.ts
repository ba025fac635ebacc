// One operation over graphql-ws, as a browser page or a script would start it, and what became of
// it: refused with GraphQL errors, the socket closed (with its close code), answered, or accepted
// and quiet (a subscription waiting for events).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface WsOutcome {
  /** The GraphQL errors the server refused the operation with. */
  errors?: { message: string; extensions?: { code?: string } }[];
  /** The close code when the server closed the socket instead. */
  closed?: number;
  /** The first result, when the server answered. */
  data?: unknown;
}

export interface WsOptions {
  query: string;
  variables?: Record<string, unknown>;
  connectionParams?: Record<string, unknown>;
  /** Upgrade request headers (e.g. a browser's Origin). */
  headers?: Record<string, string>;
  /** The local address to connect from (any 127.x.y.z reaches a server on 127.0.0.1). */
  from?: string;
  /** How long a subscription that stays quiet is waited on before it counts as accepted. */
  quietMs?: number;
}

/** Starts one operation on a new socket and reports its outcome ({} when accepted and quiet). */
export function wsOperation(graphqlUrl: string, options: WsOptions): Promise<WsOutcome> {
  return new Promise<WsOutcome>((resolve) => {
    const client = createClient({
      url: graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: options.headers, localAddress: options.from });
        }
      },
      connectionParams: options.connectionParams,
      retryAttempts: 0,
      lazy: true,
      on: { closed: (e) => done({ closed: (e as { code: number }).code }) },
    });
    let settled = false;
    const timer = setTimeout(() => done({}), options.quietMs ?? 1500);
    function done(outcome: WsOutcome) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
      // A socket the server closed is gone already (disposing it again rejects).
      if (outcome.closed === undefined) void Promise.resolve(client.dispose()).catch(() => undefined);
    }
    client.subscribe(
      { query: options.query, variables: options.variables },
      {
        next: (result) => done(result.errors ? { errors: result.errors as WsOutcome['errors'] } : { data: result.data }),
        error: (error) => done(Array.isArray(error) ? { errors: error as WsOutcome['errors'] } : { closed: (error as { code?: number }).code ?? -1 }),
        complete: () => done({}),
      },
    );
  });
}
