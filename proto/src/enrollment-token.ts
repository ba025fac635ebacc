// The agent enrolment token, as the catalog server hands it out (createAgentEnrollment) and the
// agent reads it (`ferrite-agent enroll --token`): `fen1.<secret>.<CA fingerprint>`, both parts
// base64url. The fingerprint (SHA-256 of the CA certificate's DER) lets the agent pin the server's
// CA before it sends anything, so the token alone is enough to enrol safely over a network the
// agent does not trust; the secret is what the server checks (it stores only its hash).

const PREFIX = 'fen1';
const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

export interface EnrollmentToken {
  /** The secret part, as sent back in EnrollRequest.token (the server hashes the whole token). */
  secret: string;
  /** SHA-256 of the CA certificate (DER), in the `AB:CD:...` form node's X509Certificate.fingerprint256 uses. */
  caFingerprint: string;
}

export function formatEnrollmentToken(secret: Buffer, caFingerprint: string): string {
  const fingerprint = Buffer.from(caFingerprint.replaceAll(':', ''), 'hex');
  if (secret.length !== 32 || fingerprint.length !== 32) throw new Error('an enrolment token needs a 32-byte secret and a SHA-256 fingerprint');
  return `${PREFIX}.${secret.toString('base64url')}.${fingerprint.toString('base64url')}`;
}

/** The token's parts, or null when the text is not an enrolment token (a typo, a truncated copy). */
export function parseEnrollmentToken(token: string): EnrollmentToken | null {
  const [prefix, secret, fingerprint, ...rest] = token.trim().split('.');
  if (prefix !== PREFIX || rest.length > 0 || !BASE64URL_32_BYTES.test(secret ?? '') || !BASE64URL_32_BYTES.test(fingerprint ?? '')) return null;
  const hex = Buffer.from(fingerprint, 'base64url').toString('hex').toUpperCase();
  return { secret: secret, caFingerprint: hex.replace(/(..)(?!$)/g, '$1:') };
}
