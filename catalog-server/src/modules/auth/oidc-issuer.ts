// The OpenID Connect issuer the site trusts (FERRITE_OIDC_ISSUER): its discovery document, fetched
// once at start, and its key set (jose's remote JWKS: cached, fetched again when a token names a key
// it does not hold, so the issuer's key rotation needs nothing from us). verify() checks a token's
// signature, issuer, audience and lifetime, with the asymmetric algorithms alone (never `none` or
// HS*, whose "secret" an attacker could take from the public key). An issuer that cannot be reached
// at start does not stop the server: its tokens are refused until a background retry succeeds.
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { FerriteError } from '../../common/errors.js';
import { LOGGER, type Logger } from '../../common/logger.js';
import { isTrustedUrl, SERVER_CONFIG, type ServerConfig } from '../../config/config.js';

export const OIDC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
/** Clock difference tolerated between this server and the issuer for `exp` and `nbf`. */
const CLOCK_TOLERANCE_S = 30;
/** Each request to the issuer (discovery, keys). */
const FETCH_TIMEOUT_MS = 5000;

const discoverySchema = z.object({
  issuer: z.string(),
  jwks_uri: z.string().url().refine(isTrustedUrl, 'jwks_uri is not https:// (or http:// on loopback)'),
});

type KeySet = ReturnType<typeof createRemoteJWKSet>;

@Injectable()
export class OidcIssuer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  /** Null until the discovery document and the key set have loaded. */
  private keys: KeySet | null = null;
  private retry: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = false;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'oidc', issuer: config.oidcIssuer });
  }

  get enabled(): boolean {
    return this.config.oidcIssuer !== undefined;
  }

  /** Nest awaits this before the server listens: the first attempt (bounded by FETCH_TIMEOUT_MS per request). */
  async onApplicationBootstrap(): Promise<void> {
    if (this.enabled) await this.discover();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
  }

  /** The claims of a token the issuer signed for us; UNAUTHENTICATED saying why not. */
  async verify(token: string): Promise<JWTPayload> {
    const issuer = this.config.oidcIssuer;
    if (!issuer || !this.keys)
      throw refused(
        `sign-in through ${issuer ?? 'OpenID Connect'} is not available yet: the server could not load its discovery document (see the server log)`,
      );
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer,
        audience: this.config.oidcAudience,
        algorithms: OIDC_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      });
      return payload;
    } catch (err) {
      if (isAboutTheToken(err)) throw refused(`the token is not a valid token of ${issuer}: ${err.message}`);
      this.log.warn({ err }, 'could not fetch the OIDC issuer’s keys');
      throw refused(`could not fetch the keys of ${issuer} to check the token`);
    }
  }

  private async discover(): Promise<void> {
    const issuer = this.config.oidcIssuer!;
    try {
      const doc = await fetchDiscovery(issuer);
      const keys = createRemoteJWKSet(new URL(doc.jwks_uri), {
        timeoutDuration: FETCH_TIMEOUT_MS,
        cooldownDuration: this.config.oidcJwksCooldownSeconds * 1000,
      });
      await keys.reload();
      this.keys = keys;
      this.attempt = 0;
      this.log.info({ jwksUri: doc.jwks_uri }, 'OpenID Connect sign-in ready: loaded the issuer’s discovery document and keys');
    } catch (err) {
      if (this.stopped) return;
      const delayMs = retryDelayMs(this.attempt++);
      this.log.error(
        { err, retryInMs: delayMs },
        `cannot load the OpenID Connect discovery document or keys of ${issuer}: OIDC tokens are refused until they load (API tokens work)`,
      );
      this.retry = setTimeout(() => void this.discover(), delayMs);
      this.retry.unref();
    }
  }
}

/** A refusal of the token itself, not a failure to fetch or read the issuer's key set. */
function isAboutTheToken(err: unknown): err is errors.JOSEError {
  return err instanceof errors.JOSEError && err.code !== errors.JOSEError.code && !(err instanceof errors.JWKSTimeout) && !(err instanceof errors.JWKSInvalid);
}

function refused(message: string): FerriteError {
  return new FerriteError('UNAUTHENTICATED', message);
}

/** 1 s doubling to 64 s, plus up to a quarter of jitter (replicas do not retry in step). */
function retryDelayMs(attempt: number): number {
  const base = 1000 * 2 ** Math.min(attempt, 6);
  return base + Math.floor(Math.random() * base * 0.25);
}

/** The issuer's discovery document; its `issuer` must be the configured one, to the character (OIDC Discovery 1.0, section 4.3). */
async function fetchDiscovery(issuer: string): Promise<z.infer<typeof discoverySchema>> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  const doc = discoverySchema.parse(await res.json());
  if (doc.issuer !== issuer) throw new Error(`${url} names the issuer ${JSON.stringify(doc.issuer)}, not ${JSON.stringify(issuer)} (FERRITE_OIDC_ISSUER)`);
  return doc;
}
