// Shell-style name globs translated for PostgreSQL. `*` and `?` alone become a LIKE pattern (the
// trigram index serves LIKE/ILIKE); a glob with a `[...]` class becomes an anchored regular
// expression (the trigram index serves ~ and ~* too). Everything else is literal, including the
// characters LIKE and regexes treat specially (`%`, `_`, `.`, `(`...), and `\x` escapes any x.
import { FilesErrorCode, filesError } from './files.errors.js';

export type GlobMatcher =
  /** Use with `LIKE $1 ESCAPE '\'` (or ILIKE). */
  | { kind: 'like'; pattern: string }
  /** Use with `~` (or `~*`); anchored at both ends. */
  | { kind: 'regex'; pattern: string };

type ClassItem = { from: string; to: string };
type Token = { t: 'lit'; c: string } | { t: 'star' } | { t: 'any' } | { t: 'class'; negated: boolean; items: ClassItem[] };

function invalid(glob: string, problem: string): never {
  throw filesError(FilesErrorCode.INVALID_GLOB, `invalid name glob ${JSON.stringify(glob)}: ${problem}`, { glob });
}

/** Splits a glob into tokens, rejecting what a shell would not accept either. */
export function parseGlob(glob: string): Token[] {
  if (glob.length === 0) invalid(glob, 'it is empty');
  // Iterate by code point so a class like [é-ü] or an escaped emoji stays one character.
  const chars = Array.from(glob);
  const tokens: Token[] = [];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    if (c === '\\') {
      if (i + 1 >= chars.length) invalid(glob, 'it ends with a lone "\\" (escape the backslash as "\\\\")');
      tokens.push({ t: 'lit', c: chars[i + 1] });
      i += 2;
    } else if (c === '*') {
      // Consecutive stars mean the same as one.
      if (tokens.at(-1)?.t !== 'star') tokens.push({ t: 'star' });
      i++;
    } else if (c === '?') {
      tokens.push({ t: 'any' });
      i++;
    } else if (c === '[') {
      const parsed = parseClass(glob, chars, i);
      tokens.push(parsed.token);
      i = parsed.next;
    } else {
      tokens.push({ t: 'lit', c });
      i++;
    }
  }
  return tokens;
}

function parseClass(glob: string, chars: string[], open: number): { token: Token; next: number } {
  let i = open + 1;
  let negated = false;
  if (chars[i] === '!' || chars[i] === '^') {
    negated = true;
    i++;
  }
  const members: string[] = [];
  const isRangeDash: boolean[] = [];
  let first = true;
  for (;;) {
    if (i >= chars.length) invalid(glob, `the "[" at position ${open + 1} is never closed with "]"`);
    const c = chars[i];
    // A "]" right after "[" or "[!" is a member, as in every shell.
    if (c === ']' && !first) break;
    if (c === '\\') {
      if (i + 1 >= chars.length) invalid(glob, 'it ends with a lone "\\" (escape the backslash as "\\\\")');
      members.push(chars[i + 1]);
      isRangeDash.push(false);
      i += 2;
    } else {
      members.push(c);
      isRangeDash.push(c === '-');
      i++;
    }
    first = false;
  }
  const items: ClassItem[] = [];
  for (let k = 0; k < members.length; k++) {
    // "a-z": an unescaped dash between two members; a dash first or last is literal.
    if (k + 2 < members.length && isRangeDash[k + 1]) {
      const from = members[k];
      const to = members[k + 2];
      if (from.codePointAt(0)! > to.codePointAt(0)!) {
        invalid(glob, `the range "${from}-${to}" in the class at position ${open + 1} is reversed`);
      }
      items.push({ from, to });
      k += 2;
    } else {
      items.push({ from: members[k], to: members[k] });
    }
  }
  return { token: { t: 'class', negated, items }, next: i + 1 };
}

const LIKE_SPECIAL = /[\\%_]/;
// Characters that mean something in a PostgreSQL ARE outside brackets. Escaping a non-alphanumeric
// character with "\" always yields the character itself; alphanumerics must never be escaped.
const REGEX_SPECIAL = new Set(['\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']);
// Inside brackets "\" stays an escape in AREs; these four are the ones that carry meaning there.
const CLASS_SPECIAL = new Set(['\\', ']', '[', '^', '-']);

function likeLiteral(c: string): string {
  return LIKE_SPECIAL.test(c) ? `\\${c}` : c;
}

function regexLiteral(c: string): string {
  return REGEX_SPECIAL.has(c) ? `\\${c}` : c;
}

function classLiteral(c: string): string {
  return CLASS_SPECIAL.has(c) ? `\\${c}` : c;
}

/** Translates a name glob, or throws INVALID_GLOB naming the problem. */
export function translateGlob(glob: string): GlobMatcher {
  const tokens = parseGlob(glob);
  if (!tokens.some((t) => t.t === 'class')) {
    let pattern = '';
    for (const t of tokens) pattern += t.t === 'star' ? '%' : t.t === 'any' ? '_' : t.t === 'lit' ? likeLiteral(t.c) : '';
    return { kind: 'like', pattern };
  }
  let pattern = '^';
  for (const t of tokens) {
    if (t.t === 'star') pattern += '.*';
    else if (t.t === 'any') pattern += '.';
    else if (t.t === 'lit') pattern += regexLiteral(t.c);
    else {
      pattern += t.negated ? '[^' : '[';
      for (const item of t.items) {
        pattern += item.from === item.to ? classLiteral(item.from) : `${classLiteral(item.from)}-${classLiteral(item.to)}`;
      }
      pattern += ']';
    }
  }
  return { kind: 'regex', pattern: `${pattern}$` };
}
