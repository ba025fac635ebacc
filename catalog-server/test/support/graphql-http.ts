// GraphQL over plain HTTP as an attacker (or a script) sends it: any headers, any body, and from any
// loopback address (`from`: 127.0.0.2, 127.0.0.3, ...), so a test that trips the per-address
// failed-authentication limit does not lock out the rest of its file. The answer is kept whole
// (status, content type, text) so tests can check what a refusal shows.
import assert from 'node:assert/strict';
import http from 'node:http';

export interface GqlBody {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  text: string;
  /** The body as JSON (undefined when it is not JSON). */
  body: GqlBody;
}

export interface PostOptions {
  headers?: Record<string, string>;
  variables?: Record<string, unknown>;
  /** The local address to send from (any 127.x.y.z reaches a server on 127.0.0.1). */
  from?: string;
  /** A raw body instead of `{ query, variables }`. */
  rawBody?: string;
  method?: string;
}

/** Sends a request to `url` and reads the whole answer. */
export function request(url: string, options: PostOptions & { body?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, localAddress: options.from }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: GqlBody = undefined as unknown as GqlBody;
        try {
          body = JSON.parse(text) as GqlBody;
        } catch {
          // Not JSON: the test says so where it matters.
        }
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, body });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POSTs a GraphQL operation (or `rawBody`) as JSON. */
export function postGraphql(url: string, query: string, options: PostOptions = {}): Promise<HttpAnswer> {
  return request(url, {
    ...options,
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.rawBody ?? JSON.stringify({ query, variables: options.variables }),
  });
}

/** The code of the first GraphQL error (undefined when there is none). */
export function codeOf(a: { body?: GqlBody }): string | undefined {
  return a.body?.errors?.[0]?.extensions?.code;
}

/** Fails when a response body shows a stack trace or a path of the server. */
export function assertNoServerDetails(text: string): void {
  assert.ok(!/\/(work|home|opt|usr|tmp|root)\/|node_modules|\.ts:|\.js:\d|\bat \w+ \(/.test(text), `no stack or server path: ${text.slice(0, 500)}`);
}

/** Queries that must be refused before they run (issue 17: a depth-50 query was answered, 4,000
 *  aliases of `tapes` took 11 s, nested drives -> agent -> drives doubled its cost every two levels):
 *  what each is, the query, and what its refusal says. */
export const QUERY_BOMBS: ReadonlyArray<readonly [string, string, RegExp]> = [
  [
    'depth 50',
    `{ agents { edges { node { ${'drives { agent { '.repeat(24)}name${' } }'.repeat(24)} } } } }`,
    /depth limit of \d+ exceeded|cost limit of \d+ exceeded/i,
  ],
  ['4,000 aliases', `{ ${Array.from({ length: 4000 }, (_, i) => `a${i}: tapes { totalCount }`).join(' ')} }`, /aliases limit of \d+ exceeded|token limit/i],
  [
    'nested drives -> agent -> drives',
    `{ agents(first: 500) { edges { node { drives { agent { drives { agent { drives { agent { drives { agent { drives { name } } } } } } } } } } } } }`,
    /cost limit|depth limit/i,
  ],
];

/** Bodies the JSON parser refuses: what the answer's status and code must be. */
export const BAD_BODIES: ReadonlyArray<readonly [string, string, number, string]> = [
  ['a body over the 256 KB limit', JSON.stringify({ query: `{ __typename } # ${'x'.repeat(300 * 1024)}` }), 413, 'REQUEST_TOO_LARGE'],
  ['a body that is not JSON', '{"query": ', 400, 'BAD_REQUEST'],
];
