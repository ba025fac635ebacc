// Raw GraphQL requests for the tests that check refusals: the HTTP status and the body as sent
// (graphql-request throws on errors), and one subscription over graphql-ws that says whether it was
// accepted, refused with errors, or closed.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GqlAnswer {
  status: number;
  body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

export async function postGraphql(url: string, query: string, headers: Record<string, string> = {}, variables?: Record<string, unknown>): Promise<GqlAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as GqlAnswer['body'] };
}

/** The code of an answer's first error; undefined when it has none. */
export const codeOf = (a: GqlAnswer) => a.body.errors?.[0]?.extensions?.code;

/** Subscribes over graphql-ws at the server's GraphQL URL: `{}` when it was accepted (subscribed and
 *  quiet for 1.5 s), the errors when it was refused, the close code when the socket was closed. */
export function subscribeOnce(
  graphqlUrl: string,
  connectionParams: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<{ error?: unknown; closed?: number }> {
  return new Promise((resolve) => {
    const ws = createClient({
      url: graphqlUrl.replace('http', 'ws'),
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers });
        }
      },
      connectionParams,
      retryAttempts: 0,
      on: { closed: (e) => resolve({ closed: (e as { code: number }).code }) },
    });
    ws.subscribe(
      { query: 'subscription { operatorRequestUpdated { id } }' },
      {
        next: () => undefined,
        error: (error) => {
          resolve({ error });
          void ws.dispose();
        },
        complete: () => undefined,
      },
    );
    setTimeout(() => {
      resolve({});
      void ws.dispose();
    }, 1500);
  });
}
