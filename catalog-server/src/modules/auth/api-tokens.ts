// API tokens: `fer_` and 43 base64url characters (256 random bits). Only the SHA-256 of a token is
// stored; with that much entropy a fast hash cannot be reversed or guessed, and a lookup by hash
// needs no constant-time comparison (the database compares hashes, not secrets).
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'fer_';
const TOKEN = /^fer_[A-Za-z0-9_-]{43}$/;

export function newApiToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The credential of an `Authorization: Bearer <credential>` header, whatever it is; null when the
 *  header is absent or not a bearer header. */
export function bearerCredential(header: string | undefined | null): string | null {
  if (!header) return null;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
}

/** Whether a credential is meant as a Ferrite API token (well-formed or not), not another kind (an OIDC token). */
export function isApiTokenLike(credential: string): boolean {
  return credential.startsWith(PREFIX);
}

/** The API token in an `Authorization: Bearer <token>` header; null when the header is absent or not a
 *  well-formed bearer token (the caller says which). */
export function bearerToken(header: string | undefined | null): string | null {
  const credential = bearerCredential(header);
  return credential && TOKEN.test(credential) ? credential : null;
}
