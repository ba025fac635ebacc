// The primitives age is built from, all on node's native crypto (OpenSSL): HKDF-SHA256, HMAC-SHA256,
// ChaCha20-Poly1305, and the strict unpadded base64 the header uses. Native because the payload
// cipher must keep up with a tape drive; a pure-JS ChaCha20 is an order of magnitude slower.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export const KEY_SIZE = 32;
export const TAG_SIZE = 16;

export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, KEY_SIZE));
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** ChaCha20-Poly1305 seal as [ciphertext, 16-byte tag]: kept apart because joining them copies
 *  every byte again (that copy halved the stream's rate). */
export function sealParts(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): [Buffer, Buffer] {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  const body = c.update(plaintext);
  c.final();
  return [body, c.getAuthTag()];
}

/** ChaCha20-Poly1305 seal: ciphertext followed by the 16-byte tag. */
export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  return Buffer.concat(sealParts(key, nonce, plaintext));
}

/** ChaCha20-Poly1305 open: the plaintext, or null when the tag does not authenticate. The
 *  decrypted bytes are never returned before the tag is checked. */
export function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG_SIZE) return null;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  d.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const body = d.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    d.final();
  } catch {
    return null;
  }
  return body;
}

export function base64Encode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

/** Canonical unpadded base64 only (age rejects padding and non-zero trailing bits), or null. */
export function base64Decode(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64');
  return base64Encode(bytes) === text ? bytes : null;
}
