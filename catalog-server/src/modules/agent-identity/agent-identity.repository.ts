// The only code that reads and writes agents' enrolment tokens and certificates.
import { Injectable } from '@nestjs/common';
import type { AgentCertificate, AgentEnrollment } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation } from '../../database/database-errors.js';

export interface NewCertificate {
  agentName: string;
  fingerprint: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  enrollmentId?: string;
  renewedFrom?: string;
}

@Injectable()
export class AgentIdentityRepository {
  constructor(private readonly prisma: PrismaService) {}

  createEnrollment(agentName: string, secretHash: Buffer, expiresAt: Date, createdBy: string | null): Promise<AgentEnrollment> {
    return dbOperation('creating an agent enrolment', () =>
      this.prisma.client.agentEnrollment.create({ data: { agentName, secretHash: new Uint8Array(secretHash), expiresAt, createdBy } }),
    );
  }

  findEnrollment(secretHash: Buffer): Promise<AgentEnrollment | null> {
    return dbOperation('reading an agent enrolment', () =>
      this.prisma.client.agentEnrollment.findUnique({ where: { secretHash: new Uint8Array(secretHash) } }),
    );
  }

  /**
   * Uses the enrolment and records the certificate issued for it, in one transaction: the token is
   * spent only if it was unused and unexpired at that moment (two agents racing with one token: one
   * wins), and a certificate is on record only for a spent token.
   */
  async consumeEnrollment(id: string, now: Date, certificate: NewCertificate): Promise<AgentCertificate | null> {
    return dbOperation('enrolling an agent', () =>
      this.prisma.client.$transaction(async (tx) => {
        const spent = await tx.agentEnrollment.updateMany({ where: { id, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
        if (spent.count !== 1) return null;
        return tx.agentCertificate.create({ data: { ...certificate, enrollmentId: id } });
      }),
    );
  }

  addCertificate(certificate: NewCertificate): Promise<AgentCertificate> {
    return dbOperation('recording an agent certificate', () => this.prisma.client.agentCertificate.create({ data: certificate }));
  }

  findCertificate(fingerprint: string): Promise<AgentCertificate | null> {
    return dbOperation('reading an agent certificate', () => this.prisma.client.agentCertificate.findUnique({ where: { fingerprint } }));
  }

  listCertificates(agentName: string | null): Promise<AgentCertificate[]> {
    return dbOperation('listing agent certificates', () =>
      this.prisma.client.agentCertificate.findMany({ where: agentName === null ? {} : { agentName }, orderBy: { issuedAt: 'desc' }, take: 1000 }),
    );
  }

  /** Revokes every certificate of the agent not yet revoked, and every unused enrolment for its name. */
  async revokeAgent(agentName: string, now: Date): Promise<number> {
    return dbOperation('revoking an agent', () =>
      this.prisma.client.$transaction(async (tx) => {
        await tx.agentEnrollment.updateMany({ where: { agentName, usedAt: null }, data: { expiresAt: now } });
        const { count } = await tx.agentCertificate.updateMany({ where: { agentName, revokedAt: null }, data: { revokedAt: now } });
        return count;
      }),
    );
  }
}
