// A tiny OpenID Connect issuer inside the test process: node:http on 127.0.0.1 serving the discovery
// document and a JSON Web Key Set, keys generated and tokens signed with jose, as an identity
// provider (Keycloak, Entra ID, ...) would. Tests add keys (rotation), take the issuer down and
// mint tokens good and bad.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';

interface Key {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

export interface TokenOptions {
  /** Claims over the defaults (iss, aud, sub, iat, exp in 5 minutes). */
  claims?: JWTPayload & Record<string, unknown>;
  /** The key (by kid) to sign with; default the newest. */
  kid?: string;
}

export class TestOidcIssuer {
  /** When false, every request answers 503 (the identity provider is down). */
  up = true;
  /** How many times the key set was fetched. */
  jwksFetches = 0;
  private readonly keys: Key[] = [];
  private server: Server | null = null;
  private base = '';

  constructor(readonly audience = 'ferrite') {}

  get issuer(): string {
    return this.base;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (!this.up) return send(503, { error: 'down for maintenance' });
      if (req.url === '/.well-known/openid-configuration')
        return send(200, {
          issuer: this.issuer,
          jwks_uri: `${this.issuer}/protocol/openid-connect/certs`,
          id_token_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
        });
      if (req.url === '/protocol/openid-connect/certs') {
        this.jwksFetches++;
        return send(200, { keys: this.keys.map((k) => k.jwk) });
      }
      send(404, { error: 'not found' });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Generates a key and publishes it in the key set (a rotation publishes the new key beside the old). */
  async addKey(alg: SigningAlg = 'RS256'): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `${alg.toLowerCase()}-${this.keys.length + 1}`;
    this.keys.push({ kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } });
    return kid;
  }

  /** A token signed like the identity provider signs its access tokens. */
  async token(options: TokenOptions = {}): Promise<string> {
    const key = this.key(options.kid);
    return new SignJWT(this.claims(options.claims)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
  }

  /** The same claims, unsigned (`alg: none`). */
  unsigned(claims: Record<string, unknown>): string {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${part({ alg: 'none', typ: 'JWT' })}.${part(this.claims(claims))}.`;
  }

  /** HS256 with the published RSA public key (PEM) as the HMAC secret: the classic key-confusion attack. */
  async hs256WithPublicKey(claims: Record<string, unknown>): Promise<string> {
    const key = this.key();
    const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
    return new SignJWT(this.claims(claims)).setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' }).sign(secret);
  }

  /** A key that signs but is never published (an unknown kid). */
  async unpublishedToken(claims: Record<string, unknown>): Promise<string> {
    const { privateKey } = await generateKeyPair('RS256');
    return new SignJWT(this.claims(claims)).setProtectedHeader({ alg: 'RS256', kid: 'never-published', typ: 'JWT' }).sign(privateKey);
  }

  /** The defaults (this issuer, our audience, valid for 5 minutes) under `claims`. */
  private claims(claims: Record<string, unknown> = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return { iss: this.issuer, aud: this.audience, sub: 'user-id', iat: now, exp: now + 300, ...claims };
  }

  private key(kid?: string): Key {
    const key = kid ? this.keys.find((k) => k.kid === kid) : this.keys[this.keys.length - 1];
    if (!key) throw new Error(`the test issuer has no key ${kid ?? '(none added)'}`);
    return key;
  }
}
