import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('AgentEnrollment', { description: 'A one-time token that enrols one agent: give it to `ferrite-agent enroll --token`.' })
export class AgentEnrollmentModel {
  @Field({ description: 'The name the agent will have: its certificate binds it to this name.' })
  agentName!: string;

  @Field({ description: 'The token (shown once). It carries the CA fingerprint, so the agent pins the CA before it sends anything.' })
  token!: string;

  @Field({ description: "SHA-256 fingerprint of the catalog server's agent CA, AB:CD:... (to compare by eye)." })
  caFingerprint!: string;

  @Field({ description: 'After this the token is refused (ENROLLMENT_INVALID).' })
  expiresAt!: Date;
}

@ObjectType('AgentCertificate', { description: "A client certificate the catalog server's CA issued to an agent." })
export class AgentCertificateModel {
  @Field(() => ID)
  id!: string;

  @Field()
  agentName!: string;

  @Field({ description: 'SHA-256 of the certificate (DER), AB:CD:...' })
  fingerprint!: string;

  @Field()
  serialNumber!: string;

  @Field()
  notBefore!: Date;

  @Field()
  notAfter!: Date;

  @Field()
  issuedAt!: Date;

  @Field({ description: 'ENROLLED (issued for an enrolment token) or RENEWED (by the agent, with its previous certificate).' })
  issuedBy!: string;

  @Field(() => Date, { nullable: true, description: 'Set when an admin revoked it (revokeAgent): the agent is refused from then on.' })
  revokedAt!: Date | null;
}

@ObjectType('CertificateAuthority', { description: 'The CA agents are enrolled with; agents trust only it.' })
export class CertificateAuthorityModel {
  @Field({ description: 'SHA-256 fingerprint (DER), AB:CD:...' })
  fingerprint!: string;

  @Field({ description: 'The CA certificate, PEM.' })
  certificatePem!: string;

  @Field()
  notAfter!: Date;
}

@ObjectType('AgentRevocation')
export class AgentRevocationModel {
  @Field()
  agentName!: string;

  @Field(() => Int, { description: 'Certificates revoked now (0 when none was valid).' })
  revokedCertificates!: number;
}
