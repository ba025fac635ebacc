// PostgreSQL COPY text format, built in one pass: the bulk ingest streams its staging rows this way.
// Columns are separated by a tab and rows end with a newline; inside a value only backslash, tab,
// newline and carriage return need escaping (any other byte, including commas, quotes and braces,
// is taken as it is), and `\N` is NULL.

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One text value for COPY text format (null becomes \N). */
export function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : value;
}

/** One integer (or NULL) for COPY text format. */
export function copyInt(value: number | string | null | undefined): string {
  return value === null || value === undefined ? '\\N' : String(value);
}

/** A bytea given as hex digits, in COPY text format (the backslash of `\x` itself is escaped). */
export function copyHexBytea(hex: string | null | undefined): string {
  return hex === null || hex === undefined ? '\\N' : `\\\\x${hex}`;
}
