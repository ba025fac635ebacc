// Keeps the agent's certificate from expiring: when a third of its lifetime is left, the agent
// makes a new key, asks the server for a certificate for it (RenewCertificate, authenticated by the
// current certificate), stores the pair and moves its calls to a channel that presents it.
import type { Logger } from '../logger.js';
import type { ServerClient } from '../session/server-client.js';
import { newKeyAndRequest } from './certificate-request.js';
import { IdentityError, saveIdentity, type AgentIdentity } from './identity-store.js';
import { serverTls } from './tls-credentials.js';
import { X509Certificate } from 'node:crypto';

const MAX_CHECK_INTERVAL_MS = 60 * 60_000;

export class CertificateRenewal {
  private timer: NodeJS.Timeout | null = null;
  private renewing = false;

  constructor(
    private identity: AgentIdentity,
    private readonly client: ServerClient,
    private readonly dir: string,
    private readonly serverName: string,
    private readonly log: Logger,
  ) {}

  get current(): AgentIdentity {
    return this.identity;
  }

  /** Looks now and then every hour (more often for short-lived certificates). */
  start(): void {
    const lifetime = this.identity.notAfter.getTime() - this.identity.notBefore.getTime();
    const every = Math.max(1000, Math.min(MAX_CHECK_INTERVAL_MS, lifetime / 20));
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
    void this.check();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async check(): Promise<void> {
    await this.renewIfDue().catch((err: unknown) =>
      this.log.error({ err: (err as Error).message, notAfter: this.identity.notAfter }, 'could not renew the agent certificate (trying again later)'),
    );
  }

  /** Renews when less than a third of the certificate's lifetime is left; whether it did. */
  async renewIfDue(now = Date.now()): Promise<boolean> {
    const { notBefore, notAfter } = this.identity;
    const lifetime = notAfter.getTime() - notBefore.getTime();
    if (this.renewing || notAfter.getTime() - now > lifetime / 3) return false;
    this.renewing = true;
    try {
      const { keyPem, csrPem } = await newKeyAndRequest(this.identity.name);
      const res = await this.client.renewCertificate({ csrPem });
      if (new X509Certificate(res.caCertificatePem).fingerprint256 !== this.identity.caFingerprint)
        throw new IdentityError('the server renewed with another CA than the one pinned at enrolment: refusing the certificate');
      const renewed = await saveIdentity(this.dir, { keyPem, certificatePem: res.certificatePem, caPem: this.identity.caPem });
      this.client.useTls(serverTls(renewed.caPem, this.serverName, renewed));
      this.identity = renewed;
      this.log.info({ notAfter: renewed.notAfter }, 'agent certificate renewed');
      return true;
    } finally {
      this.renewing = false;
    }
  }
}
