// Who can open a file: the random 16-byte file key is sealed to each recipient (or to one
// passphrase) in the header; decrypting finds a stanza one of our keys opens and checks the MAC.
import { randomBytes } from 'node:crypto';
import { AgeError, AgeErrorCode, invalidCiphertext } from './age-errors.js';
import { checkHeaderMac, encodeHeader, type ParsedHeader, type Stanza } from './age-header.js';
import { parseIdentity, parseRecipient, type AgeIdentity, type AgeRecipient } from './age-keys.js';
import { unwrapScrypt, wrapScrypt } from './scrypt-stanza.js';
import { unwrapX25519, wrapX25519 } from './x25519-stanza.js';

/** Encrypt to X25519 recipients (`age1...` or parsed), or to one passphrase (scrypt; `workFactor`
 *  is log2 of scrypt's N, 18 by default as the age command line uses). */
export type EncryptTo = readonly (string | AgeRecipient)[] | { readonly passphrase: string; readonly workFactor?: number };
/** Decrypt with X25519 identities (`AGE-SECRET-KEY-1...` or parsed), or with a passphrase. */
export type DecryptWith = readonly (string | AgeIdentity)[] | { readonly passphrase: string };

export const FILE_KEY_SIZE = 16;

type Sealers = { readonly recipients: readonly AgeRecipient[] } | { readonly passphrase: string; readonly workFactor?: number };
type Openers = { readonly identities: readonly AgeIdentity[] } | { readonly passphrase: string };

/** Parses the recipients up front, so a bad one throws INVALID_RECIPIENT before any byte moves. */
export function resolveEncryptTo(to: EncryptTo): Sealers {
  if ('passphrase' in to) return to;
  if (to.length === 0) throw new AgeError(AgeErrorCode.INVALID_RECIPIENT, 'no age recipient given');
  return { recipients: to.map((r) => (typeof r === 'string' ? parseRecipient(r) : r)) };
}

/** Parses the identities up front: a bad one throws KEY_INVALID. */
export function resolveDecryptWith(keys: DecryptWith): Openers {
  if ('passphrase' in keys) return keys;
  if (keys.length === 0) throw new AgeError(AgeErrorCode.KEY_INVALID, 'no age identity given');
  return { identities: keys.map((k) => (typeof k === 'string' ? parseIdentity(k) : k)) };
}

/** A fresh file key and the header that gives it to the recipients. */
export async function sealFileKey(to: Sealers): Promise<{ fileKey: Buffer; header: Buffer }> {
  const fileKey = randomBytes(FILE_KEY_SIZE);
  const stanzas: Stanza[] = 'passphrase' in to ? [await wrapScrypt(fileKey, to.passphrase, to.workFactor)] : to.recipients.map((r) => wrapX25519(fileKey, r));
  return { fileKey, header: encodeHeader(stanzas, fileKey) };
}

/** The file key of a parsed header: KEY_INVALID when none of our keys opens it, CIPHERTEXT_INVALID
 *  when a stanza is malformed or the header MAC does not match. */
export async function openFileKey(header: ParsedHeader, keys: Openers): Promise<Buffer> {
  const fileKey = 'passphrase' in keys ? await openWithPassphrase(header.stanzas, keys.passphrase) : openWithIdentities(header.stanzas, keys.identities);
  if (fileKey.length !== FILE_KEY_SIZE) throw invalidCiphertext('a stanza holds a file key of the wrong size');
  checkHeaderMac(header, fileKey);
  return fileKey;
}

function openWithIdentities(stanzas: readonly Stanza[], identities: readonly AgeIdentity[]): Buffer {
  const x25519 = stanzas.filter((s) => s.type === 'X25519');
  if (stanzas.some((s) => s.type === 'scrypt')) {
    throw new AgeError(AgeErrorCode.KEY_INVALID, 'the file is encrypted with a passphrase, not to a recipient');
  }
  for (const stanza of x25519) {
    for (const identity of identities) {
      const fileKey = unwrapX25519(stanza, identity);
      if (fileKey) return fileKey;
    }
  }
  throw new AgeError(AgeErrorCode.KEY_INVALID, `none of the ${identities.length} identities given opens the file (${x25519.length} X25519 recipients)`);
}

async function openWithPassphrase(stanzas: readonly Stanza[], passphrase: string): Promise<Buffer> {
  const scrypt = stanzas.filter((s) => s.type === 'scrypt');
  if (scrypt.length === 0) throw new AgeError(AgeErrorCode.KEY_INVALID, 'the file is encrypted to recipients, not with a passphrase');
  if (stanzas.length !== 1) throw invalidCiphertext('malformed header: a scrypt stanza must be the only one');
  const fileKey = await unwrapScrypt(scrypt[0], passphrase);
  if (!fileKey) throw new AgeError(AgeErrorCode.KEY_INVALID, 'the passphrase does not open the file');
  return fileKey;
}
