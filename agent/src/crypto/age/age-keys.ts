// X25519 keys in age's text forms: recipients `age1...` (bech32 of the public key) and identities
// `AGE-SECRET-KEY-1...` (bech32 of the private scalar, upper case), as node KeyObjects. bech32 is
// @scure/base's (audited, no dependencies), not hand-written.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { bech32 } from '@scure/base';
import { AgeError, AgeErrorCode } from './age-errors.js';

const RECIPIENT_HRP = 'age';
const IDENTITY_HRP = 'age-secret-key-';
// DER framing of a raw 32-byte X25519 key (RFC 8410), so node can import and export raw keys.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface AgeRecipient {
  readonly kind: 'x25519';
  /** The raw 32-byte public key. */
  readonly bytes: Buffer;
  readonly key: KeyObject;
  /** The canonical `age1...` text. */
  readonly text: string;
}

export interface AgeIdentity {
  readonly kind: 'x25519';
  readonly privateKey: KeyObject;
  readonly recipient: AgeRecipient;
}

function decodeBech32(text: string): { hrp: string; bytes: Buffer } {
  const { prefix, words } = bech32.decode(text as `${string}1${string}`);
  return { hrp: prefix.toLowerCase(), bytes: Buffer.from(bech32.fromWords(words)) };
}

export function recipientFromPublicKey(raw: Uint8Array): AgeRecipient {
  const bytes = Buffer.from(raw);
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes]), format: 'der', type: 'spki' });
  return { kind: 'x25519', bytes, key, text: bech32.encode(RECIPIENT_HRP, bech32.toWords(bytes)) };
}

export function recipientOfPublicKey(key: KeyObject): AgeRecipient {
  return recipientFromPublicKey(key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length));
}

/** Parses an `age1...` X25519 recipient; anything else throws INVALID_RECIPIENT saying why. */
export function parseRecipient(text: string): AgeRecipient {
  const bad = (why: string) => new AgeError(AgeErrorCode.INVALID_RECIPIENT, `invalid age recipient "${text}": ${why}`);
  if (text.trim() !== text) throw bad('it has leading or trailing whitespace');
  if (/^age1(pq|tag|tagpq)1/i.test(text)) throw bad('post-quantum and tag recipients are not supported (X25519 only)');
  if (!/^age1/i.test(text)) throw bad('an X25519 recipient starts with "age1"');
  let decoded: { hrp: string; bytes: Buffer };
  try {
    decoded = decodeBech32(text);
  } catch (err) {
    throw bad(`not valid bech32 (${(err as Error).message})`);
  }
  if (decoded.hrp !== RECIPIENT_HRP) throw bad(`unexpected prefix "${decoded.hrp}"`);
  if (decoded.bytes.length !== 32) throw bad(`a key of ${decoded.bytes.length} bytes (X25519 keys have 32)`);
  return recipientFromPublicKey(decoded.bytes);
}

function identityFromScalar(scalar: Uint8Array): AgeIdentity {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, scalar]), format: 'der', type: 'pkcs8' });
  return { kind: 'x25519', privateKey, recipient: recipientOfPublicKey(createPublicKey(privateKey)) };
}

/** Parses an `AGE-SECRET-KEY-1...` identity; anything else throws KEY_INVALID (never echoing the key). */
export function parseIdentity(text: string): AgeIdentity {
  const bad = (why: string) => new AgeError(AgeErrorCode.KEY_INVALID, `invalid age identity: ${why}`);
  if (/^AGE-SECRET-KEY-PQ-1/i.test(text)) throw bad('post-quantum identities are not supported (X25519 only)');
  if (!text.startsWith('AGE-SECRET-KEY-1')) throw bad('an X25519 identity starts with "AGE-SECRET-KEY-1"');
  let decoded: { hrp: string; bytes: Buffer };
  try {
    decoded = decodeBech32(text);
  } catch (err) {
    throw bad(`not valid bech32 (${(err as Error).message.replace(text, '<identity>')})`);
  }
  if (decoded.hrp !== IDENTITY_HRP) throw bad(`unexpected prefix "${decoded.hrp}"`);
  if (decoded.bytes.length !== 32) throw bad(`a key of ${decoded.bytes.length} bytes (X25519 keys have 32)`);
  return identityFromScalar(decoded.bytes);
}

/** Parses an identity file as `age-keygen` writes it: one identity a line, `#` comments, blank lines. */
export function parseIdentityFile(text: string): AgeIdentity[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').trim());
  const ids = lines.filter((l) => l !== '' && !l.startsWith('#')).map(parseIdentity);
  if (ids.length === 0) throw new AgeError(AgeErrorCode.KEY_INVALID, 'invalid age identity file: no identity in it');
  return ids;
}

export function formatIdentity(identity: AgeIdentity): string {
  const der = identity.privateKey.export({ format: 'der', type: 'pkcs8' });
  return bech32.encode(IDENTITY_HRP, bech32.toWords(der.subarray(PKCS8_PREFIX.length))).toUpperCase();
}

export function generateIdentity(): AgeIdentity {
  const { privateKey } = generateKeyPairSync('x25519');
  return identityFromScalar(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length));
}
