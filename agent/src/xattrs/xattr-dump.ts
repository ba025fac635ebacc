// The text format of `getfattr --dump` / `setfattr --restore` (package attr): a "# file: PATH" line,
// then one "name=value" line per attribute, then a blank line. Paths and names escape a byte as
// backslash + three octal digits (getfattr escapes "\", newlines, "=" in names, ...); values are
// base64 with the prefix "0s" (`-e base64`), so any bytes pass. Pure: unit-tested.
import type { ExtendedAttribute } from '@ferrite/proto';

/** Bytes from a dump's escaped text (read as latin1, so each char is one byte). */
function unescape(field: string): string {
  const latin1 = field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

/** Escapes every byte that is not printable ASCII, and "\" and "=" (setfattr splits a line at "="). */
function escape(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x3d ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

function decodeValue(raw: string): Buffer {
  if (raw.startsWith('0s')) return Buffer.from(raw.slice(2), 'base64');
  if (raw.startsWith('0x')) return Buffer.from(raw.slice(2), 'hex');
  // Text values come quoted ("...") with the same octal escapes.
  const quoted = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  return Buffer.from(
    quoted.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))),
    'latin1',
  );
}

/** A dump (getfattr's stdout, as bytes) as path -> attributes in the order listed. */
export function parseDump(dump: Buffer): Map<string, ExtendedAttribute[]> {
  const out = new Map<string, ExtendedAttribute[]>();
  let current: ExtendedAttribute[] | null = null;
  for (const line of dump.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) {
      current = [];
      out.set(unescape(line.slice('# file: '.length)), current);
    } else if (line === '' || line.startsWith('#')) {
      continue;
    } else if (current) {
      const eq = line.indexOf('=');
      const name = unescape(eq < 0 ? line : line.slice(0, eq));
      current.push({ name, value: eq < 0 ? Buffer.alloc(0) : decodeValue(line.slice(eq + 1)) });
    }
  }
  return out;
}

/** The dump `setfattr --restore` reads to give `path` these attributes. */
export function formatDump(entries: ReadonlyArray<{ path: string; xattrs: readonly ExtendedAttribute[] }>): Buffer {
  const lines: string[] = [];
  for (const { path, xattrs } of entries) {
    lines.push(`# file: ${escape(path)}`);
    // An empty value as "": setfattr reads "0s" with nothing after it as no value at all and sets nothing.
    for (const x of xattrs) lines.push(`${escape(x.name)}=${x.value.length ? `0s${Buffer.from(x.value).toString('base64')}` : '""'}`);
    lines.push('');
  }
  return Buffer.from(lines.join('\n') + '\n', 'latin1');
}
