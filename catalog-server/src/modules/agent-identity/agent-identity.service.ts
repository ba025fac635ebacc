// Agents' identities: enrolment tokens, the certificates issued for them, renewal and revocation,
// and the check every gRPC call goes through (authenticate: which agent does this client
// certificate belong to, if any). The TLS handshake proves the client holds a key our CA certified;
// the record here says whether that certificate is still an agent's (not revoked, not expired).
import { createHash, randomBytes } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { formatEnrollmentToken, parseEnrollmentToken } from '@ferrite/proto';
import { FerriteError } from '../../common/errors.js';
import { LOGGER, type Logger } from '../../common/logger.js';
import { SERVER_CONFIG, type ServerConfig } from '../../config/config.js';
import { AuditService } from '../auth/audit.service.js';
import { FailedAuthLimiter } from '../auth/failed-auth-limiter.js';
import { AgentIdentityRepository } from './agent-identity.repository.js';
import { AgentIdentityErrors } from './agent-identity.errors.js';
import { CertificateAuthority, CertificateAuthorityError, CATALOG_SERVER_TLS_NAME, type IssuedCertificate } from './certificate-authority.js';

/** Who is calling: the agent a valid client certificate on record belongs to. */
export interface AgentIdentity {
  name: string;
  certificateId: string;
  fingerprint: string;
  notAfter: Date;
}

export interface CreatedEnrollment {
  agentName: string;
  token: string;
  caFingerprint: string;
  expiresAt: Date;
}

export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const DEFAULT_ENROLLMENT_MINUTES = 60;
const MAX_ENROLLMENT_MINUTES = 7 * 24 * 60;
/** How long a certificate's record is trusted from memory before it is read again (revocation on
 *  another replica takes at most this long to reach this one when the cluster bus lost the news). */
const CACHE_MS = 10_000;

@Injectable()
export class AgentIdentityService implements OnModuleInit {
  private authority: CertificateAuthority | null = null;
  private readonly cache = new Map<string, { identity: AgentIdentity | null; until: number }>();
  private readonly enrollLimiter: FailedAuthLimiter;
  private readonly log: Logger;

  constructor(
    private readonly repo: AgentIdentityRepository,
    private readonly audit: AuditService,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'agent-identity' });
    this.enrollLimiter = new FailedAuthLimiter(config.authFailuresPerMinute, 60_000);
  }

  async onModuleInit(): Promise<void> {
    this.authority = await CertificateAuthority.open({ dir: this.config.caDir, certFile: this.config.caCertFile, keyFile: this.config.caKeyFile });
    this.log.info({ fingerprint: this.authority.fingerprint, site: Boolean(this.config.caCertFile) }, "agents' CA ready");
  }

  get ca(): CertificateAuthority {
    if (!this.authority) throw new Error("the agents' CA is not loaded yet");
    return this.authority;
  }

  /** The gRPC endpoint's certificate chain and key, issued now by the CA. */
  serverCertificate(): Promise<{ certificateChainPem: string; privateKeyPem: string }> {
    return this.ca.issueServerCertificate(this.config.grpcTlsNames);
  }

  async createEnrollment(agentName: string, expiresInMinutes: number | null, createdBy: string | null): Promise<CreatedEnrollment> {
    if (!AGENT_NAME.test(agentName) || agentName === CATALOG_SERVER_TLS_NAME) throw AgentIdentityErrors.invalidName(agentName);
    const minutes = expiresInMinutes ?? DEFAULT_ENROLLMENT_MINUTES;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_ENROLLMENT_MINUTES)
      throw AgentIdentityErrors.invalidLifetime(minutes, MAX_ENROLLMENT_MINUTES);
    const secret = randomBytes(32);
    const token = formatEnrollmentToken(secret, this.ca.fingerprint);
    const expiresAt = new Date(Date.now() + minutes * 60_000);
    // The token's secret part is this base64url text; enrol hashes what it reads back from the token.
    await this.repo.createEnrollment(agentName, hashSecret(secret.toString('base64url')), expiresAt, createdBy);
    return { agentName, token, caFingerprint: this.ca.fingerprint, expiresAt };
  }

  /** Trades an unused, unexpired enrolment token for a certificate for the key in the CSR. */
  async enroll(token: string, csrPem: string, expectedName: string, address: string): Promise<{ agentName: string; certificate: IssuedCertificate }> {
    const now = Date.now();
    const wait = this.enrollLimiter.retryAfterMs(address, now);
    if (wait > 0) throw new FerriteError('RATE_LIMITED', `too many failed enrolments from ${address}; try again in ${Math.ceil(wait / 1000)} s`);
    try {
      const parsed = parseEnrollmentToken(token);
      if (!parsed) throw AgentIdentityErrors.enrollmentInvalid('it is not an enrolment token (fen1.…)');
      if (parsed.caFingerprint !== this.ca.fingerprint) throw AgentIdentityErrors.enrollmentInvalid("it was made by another catalog server's CA");
      const enrollment = await this.repo.findEnrollment(hashSecret(parsed.secret));
      if (!enrollment) throw AgentIdentityErrors.enrollmentInvalid('no such token');
      if (enrollment.usedAt) throw AgentIdentityErrors.enrollmentInvalid('it was used already (a token enrols once)');
      if (enrollment.expiresAt.getTime() <= now) throw AgentIdentityErrors.enrollmentInvalid('it expired');
      if (expectedName && expectedName !== enrollment.agentName)
        throw AgentIdentityErrors.enrollmentInvalid(
          `it enrols agent ${JSON.stringify(enrollment.agentName)}, not ${JSON.stringify(expectedName)} (it stays unused)`,
        );
      const certificate = await this.issue(csrPem, enrollment.agentName);
      const stored = await this.repo.consumeEnrollment(enrollment.id, new Date(now), recordOf(certificate, enrollment.agentName));
      if (!stored) throw AgentIdentityErrors.enrollmentInvalid('it was used already (a token enrols once)');
      await this.audit.record({
        operator: `agent:${enrollment.agentName}`,
        tokenId: null,
        address,
        operation: 'agent.enroll',
        arguments: { fingerprint: certificate.fingerprint },
        result: 'OK',
        message: null,
      });
      this.log.info({ agent: enrollment.agentName, fingerprint: certificate.fingerprint, address }, 'agent enrolled');
      return { agentName: enrollment.agentName, certificate };
    } catch (err) {
      if (err instanceof FerriteError) {
        this.enrollLimiter.recordFailure(address, now);
        await this.audit.record({ operator: null, tokenId: null, address, operation: 'agent.enroll', arguments: null, result: err.code, message: err.message });
      }
      throw err;
    }
  }

  /** A new certificate for the calling agent's new key; the old one stays valid until it expires. */
  async renew(identity: AgentIdentity, csrPem: string, address: string): Promise<IssuedCertificate> {
    const certificate = await this.issue(csrPem, identity.name);
    await this.repo.addCertificate({ ...recordOf(certificate, identity.name), renewedFrom: identity.certificateId });
    await this.audit.record({
      operator: `agent:${identity.name}`,
      tokenId: null,
      address,
      operation: 'agent.renew',
      arguments: { fingerprint: certificate.fingerprint },
      result: 'OK',
      message: null,
    });
    this.log.info({ agent: identity.name, fingerprint: certificate.fingerprint }, 'agent certificate renewed');
    return certificate;
  }

  /** Revokes every certificate of the agent (and its unused enrolments); the count revoked. */
  async revoke(agentName: string): Promise<number> {
    const count = await this.repo.revokeAgent(agentName, new Date());
    this.forget(agentName);
    return count;
  }

  /** Drops what this process remembers of an agent's certificates (it was revoked, here or elsewhere). */
  forget(agentName: string): void {
    for (const [fingerprint, entry] of this.cache) if (entry.identity?.name === agentName) this.cache.delete(fingerprint);
  }

  listCertificates(agentName: string | null) {
    return this.repo.listCertificates(agentName);
  }

  /**
   * The agent behind a client certificate the TLS handshake verified against our CA (undefined when
   * the client sent none, or one the CA did not sign). Refused unless the certificate is on record,
   * not revoked and not expired.
   */
  async authenticate(peer: PeerCertificate | undefined, now = Date.now()): Promise<AgentIdentity> {
    if (!peer?.fingerprint256)
      throw new FerriteError(
        'UNAUTHENTICATED',
        "this call needs the client certificate the catalog server's CA issued to the agent; enrol with `ferrite-agent enroll`",
      );
    const fingerprint = peer.fingerprint256;
    let entry = this.cache.get(fingerprint);
    if (!entry || entry.until <= now) {
      const row = await this.repo.findCertificate(fingerprint);
      if (row?.revokedAt) throw AgentIdentityErrors.revoked(row.agentName);
      const identity = row ? { name: row.agentName, certificateId: row.id, fingerprint, notAfter: row.notAfter } : null;
      entry = { identity, until: now + CACHE_MS };
      this.cache.set(fingerprint, entry);
      if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    }
    if (!entry.identity) throw new FerriteError('UNAUTHENTICATED', 'this client certificate was not issued to any agent; enrol with `ferrite-agent enroll`');
    if (entry.identity.notAfter.getTime() <= now)
      throw new FerriteError('UNAUTHENTICATED', `the certificate of agent ${entry.identity.name} expired; enrol it again`);
    return entry.identity;
  }

  private async issue(csrPem: string, agentName: string): Promise<IssuedCertificate> {
    try {
      return await this.ca.issueAgentCertificate(csrPem, agentName, this.config.agentCertificateDays);
    } catch (err) {
      if (err instanceof CertificateAuthorityError) throw AgentIdentityErrors.invalidCsr(err.message);
      throw err;
    }
  }
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

function recordOf(certificate: IssuedCertificate, agentName: string) {
  return {
    agentName,
    fingerprint: certificate.fingerprint,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  };
}
