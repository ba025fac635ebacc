// The X25519 recipient stanza: `-> X25519 <ephemeral share>`, whose body is the file key sealed
// with a key derived from the Diffie-Hellman secret between the share and the recipient.
import { diffieHellman, generateKeyPairSync } from 'node:crypto';
import { invalidCiphertext } from './age-errors.js';
import type { Stanza } from './age-header.js';
import { recipientFromPublicKey, recipientOfPublicKey, type AgeIdentity, type AgeRecipient } from './age-keys.js';
import { base64Decode, base64Encode, hkdf, open, seal } from './primitives.js';

const LABEL = 'age-encryption.org/v1/X25519';
const ZERO_NONCE = Buffer.alloc(12);

function wrapKey(secret: Buffer, share: Buffer, recipient: Buffer): Buffer {
  // An all-zero secret means a low-order point: refused by the spec (OpenSSL refuses it too).
  if (secret.every((b) => b === 0)) throw invalidCiphertext('X25519 stanza with a low-order share');
  return hkdf(secret, Buffer.concat([share, recipient]), LABEL);
}

export function wrapX25519(fileKey: Buffer, recipient: AgeRecipient): Stanza {
  const ephemeral = generateKeyPairSync('x25519');
  const share = recipientOfPublicKey(ephemeral.publicKey);
  const secret = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient.key });
  return { type: 'X25519', args: [base64Encode(share.bytes)], body: seal(wrapKey(secret, share.bytes, recipient.bytes), ZERO_NONCE, fileKey) };
}

/** The file key if this identity opens this stanza, null if the stanza is for someone else. */
export function unwrapX25519(stanza: Stanza, identity: AgeIdentity): Buffer | null {
  const share = stanza.args.length === 1 ? base64Decode(stanza.args[0]) : null;
  if (share === null || share.length !== 32 || stanza.body.length !== 32) throw invalidCiphertext('malformed X25519 stanza');
  let secret: Buffer;
  try {
    secret = diffieHellman({ privateKey: identity.privateKey, publicKey: recipientFromPublicKey(share).key });
  } catch {
    throw invalidCiphertext('X25519 stanza with a low-order share');
  }
  return open(wrapKey(secret, share, identity.recipient.bytes), ZERO_NONCE, stanza.body);
}
