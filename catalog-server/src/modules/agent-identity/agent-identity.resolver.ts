// GraphQL edge for agents' identities: enrolment tokens, certificates, revocation.
import { Args, Context, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { AuthContext } from '../auth/roles.guard.js';
import { RequireRole, Role } from '../auth/roles.js';
import { AgentRevocationService } from './agent-revocation.service.js';
import { AgentIdentityService } from './agent-identity.service.js';
import { AgentCertificateModel, AgentEnrollmentModel, AgentRevocationModel, CertificateAuthorityModel } from './models/agent-identity.model.js';

@Resolver()
export class AgentIdentityResolver {
  constructor(
    private readonly identities: AgentIdentityService,
    private readonly revocation: AgentRevocationService,
  ) {}

  @RequireRole(Role.VIEWER)
  @Query(() => CertificateAuthorityModel, { description: "The agents' CA: its fingerprint is what `ferrite-agent enroll` pins." })
  certificateAuthority(): CertificateAuthorityModel {
    const ca = this.identities.ca;
    return { fingerprint: ca.fingerprint, certificatePem: ca.certificatePem, notAfter: ca.notAfter };
  }

  @RequireRole(Role.VIEWER)
  @Query(() => [AgentCertificateModel], { description: "Agents' certificates, newest first: one agent's, or every agent's." })
  async agentCertificates(@Args('agent', { type: () => String, nullable: true }) agent: string | null): Promise<AgentCertificateModel[]> {
    const rows = await this.identities.listCertificates(agent ?? null);
    return rows.map((r) => ({ ...r, issuedBy: r.renewedFrom ? 'RENEWED' : 'ENROLLED' }));
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => AgentEnrollmentModel, {
    description:
      "A one-time token that enrols an agent under this name (a new agent, or a rebuilt machine; the name's other certificates stay valid until revoked). Expires after expiresInMinutes (default 60).",
  })
  createAgentEnrollment(
    @Args('name') name: string,
    @Args('expiresInMinutes', { type: () => Int, nullable: true }) expiresInMinutes: number | null,
    @Context() ctx: AuthContext,
  ): Promise<AgentEnrollmentModel> {
    return this.identities.createEnrollment(name, expiresInMinutes ?? null, ctx.principal?.operator ?? null);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => AgentRevocationModel, {
    description: 'Revokes every certificate of the agent and its unused enrolment tokens, and ends its sessions: it is refused until enrolled again.',
  })
  revokeAgent(@Args('name') name: string): Promise<AgentRevocationModel> {
    return this.revocation.revoke(name);
  }
}
