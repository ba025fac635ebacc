// The age header (age-encryption.org/v1): the version line, one stanza per recipient, and the MAC
// line. Encoding, strict parsing (canonical base64, 64-column bodies) and the header MAC.
import { invalidCiphertext } from './age-errors.js';
import { base64Decode, base64Encode, equalBytes, hkdf, hmacSha256 } from './primitives.js';

export interface Stanza {
  readonly type: string;
  readonly args: readonly string[];
  readonly body: Buffer;
}

const VERSION_LINE = 'age-encryption.org/v1';
const BODY_COLUMNS = 64;
/** A larger header is refused, so a corrupt or hostile file cannot make the reader buffer without
 *  bound (an X25519 stanza takes 98 bytes: about 10,000 recipients fit). */
export const MAX_HEADER_SIZE = 1024 * 1024;

function headerMac(fileKey: Uint8Array, headerUpToDashes: Uint8Array): Buffer {
  return hmacSha256(hkdf(fileKey, Buffer.alloc(0), 'header'), headerUpToDashes);
}

function encodeStanza(s: Stanza): string {
  const b64 = base64Encode(s.body);
  let out = `-> ${[s.type, ...s.args].join(' ')}\n`;
  for (let i = 0; i < b64.length; i += BODY_COLUMNS) out += b64.slice(i, i + BODY_COLUMNS) + '\n';
  // The body ends with a line shorter than 64 columns: an empty one when it fills the last line.
  if (b64.length % BODY_COLUMNS === 0) out += '\n';
  return out;
}

/** The whole header, MAC line included, for these stanzas and this file key. */
export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Buffer {
  const upToDashes = Buffer.from(`${VERSION_LINE}\n${stanzas.map(encodeStanza).join('')}---`, 'latin1');
  return Buffer.concat([upToDashes, Buffer.from(` ${base64Encode(headerMac(fileKey, upToDashes))}\n`, 'latin1')]);
}

export interface ParsedHeader {
  readonly stanzas: Stanza[];
  /** Its length in bytes, MAC line included: where the payload's nonce starts. */
  readonly size: number;
  readonly upToDashes: Buffer;
  readonly mac: Buffer;
}

/** The header's length if `buf` holds all of it, null if more bytes are needed. */
export function headerLength(buf: Buffer): number | null {
  const version = Math.min(buf.length, VERSION_LINE.length + 1);
  if (buf.toString('latin1', 0, version) !== `${VERSION_LINE}\n`.slice(0, version)) {
    throw invalidCiphertext('malformed header: not an age-encryption.org/v1 file');
  }
  const dashes = buf.indexOf('\n---');
  if (dashes < 0) return buf.length > MAX_HEADER_SIZE ? tooLarge() : null;
  const end = buf.indexOf(0x0a, dashes + 1);
  if (end < 0) return buf.length > MAX_HEADER_SIZE ? tooLarge() : null;
  return end + 1;
}

function tooLarge(): never {
  throw invalidCiphertext(`header larger than ${MAX_HEADER_SIZE} bytes (not an age file?)`);
}

function isArgument(a: string): boolean {
  return a.length > 0 && /^[\x21-\x7e]+$/.test(a);
}

/** Parses a complete header (`buf` may go on past it). Malformed headers throw CIPHERTEXT_INVALID. */
export function parseHeader(buf: Buffer): ParsedHeader {
  const size = headerLength(buf);
  if (size === null) throw invalidCiphertext('the header is incomplete');
  const lines = buf
    .subarray(0, size - 1)
    .toString('latin1')
    .split('\n');
  const bad = (why: string) => invalidCiphertext(`malformed header: ${why}`);
  if (lines[0] !== VERSION_LINE) throw bad('not an age-encryption.org/v1 file');
  const stanzas: Stanza[] = [];
  let i = 1;
  while (lines[i].startsWith('-> ')) {
    const [type, ...args] = lines[i].slice(3).split(' ');
    if (!isArgument(type) || !args.every(isArgument)) throw bad(`stanza line ${i + 1}`);
    const body: string[] = [];
    for (i++; ; i++) {
      if (i >= lines.length - 1) throw bad('stanza body not terminated');
      if (lines[i].length > BODY_COLUMNS) throw bad(`line ${i + 1} longer than 64 columns`);
      body.push(lines[i]);
      if (lines[i].length < BODY_COLUMNS) break;
    }
    const decoded = base64Decode(body.join(''));
    if (decoded === null) throw bad(`stanza body at line ${i + 1} is not canonical base64`);
    stanzas.push({ type, args, body: decoded });
    i++;
  }
  if (i !== lines.length - 1 || !lines[i].startsWith('--- ')) throw bad(`unexpected line ${i + 1}`);
  if (stanzas.length === 0) throw bad('no recipient stanza');
  const mac = base64Decode(lines[i].slice(4));
  if (mac === null || mac.length !== 32) throw bad('bad MAC line');
  const upToDashes = buf.subarray(0, size - lines[i].length - 1 + 3);
  return { stanzas, size, upToDashes, mac };
}

/** Checks the header MAC with the file key a stanza gave: a mismatch means the header was altered. */
export function checkHeaderMac(header: ParsedHeader, fileKey: Uint8Array): void {
  if (!equalBytes(headerMac(fileKey, header.upToDashes), header.mac)) {
    throw invalidCiphertext('the header MAC does not match (the header was altered)');
  }
}
