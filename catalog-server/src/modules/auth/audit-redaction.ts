// What an audit event keeps of a mutation's arguments: everything an investigator needs, minus
// secrets (any field named like a token, secret, password, passphrase or private key) and minus
// bulk (long strings and lists are cut, the whole is bounded), so the log can be read and kept.
const SECRET = /(token|secret|password|passphrase|privatekey|apikey|identity)$/i;
const MAX_STRING = 1_000;
const MAX_LIST = 100;
const MAX_DEPTH = 8;
const MAX_JSON = 16 * 1024;

export function redactArguments(args: Record<string, unknown>): Record<string, unknown> {
  const out = redact(args, 0) as Record<string, unknown>;
  const json = JSON.stringify(out);
  return json.length <= MAX_JSON
    ? out
    : { truncated: `${json.length} characters of arguments, over the ${MAX_JSON} an audit event keeps`, head: json.slice(0, 1000) };
}

function redact(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}... (${value.length} characters)` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return '(nested too deep)';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_LIST).map((v) => redact(v, depth + 1));
    return value.length > MAX_LIST ? [...kept, `... and ${value.length - MAX_LIST} more`] : kept;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET.test(k) && v !== null && v !== undefined ? '(redacted)' : redact(v, depth + 1);
    return out;
  }
  // Functions and symbols: not arguments GraphQL can send; named, not stringified.
  return `(${typeof value})`;
}
