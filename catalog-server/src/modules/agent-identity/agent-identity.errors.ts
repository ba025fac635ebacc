// Error codes of agents' identities: enrolment, certificates, and the identity each call carries.
import { FerriteError } from '../../common/errors.js';

export const AgentIdentityErrors = {
  invalidName: (name: string) =>
    new FerriteError('INVALID_ARGUMENT', `${JSON.stringify(name)} is not an agent name: 1-63 letters, digits, . _ -, starting with a letter or digit`, {
      agent: name,
    }),
  invalidLifetime: (minutes: number, max: number) =>
    new FerriteError('INVALID_ARGUMENT', `an enrolment token lives 1 to ${max} minutes, not ${minutes}`, { expiresInMinutes: minutes }),
  enrollmentInvalid: (why: string) =>
    new FerriteError('ENROLLMENT_INVALID', `the enrolment token is not valid: ${why}; ask an admin for a new one (createAgentEnrollment)`),
  invalidCsr: (why: string) => new FerriteError('INVALID_CSR', why),
  revoked: (agent: string) =>
    new FerriteError('CERTIFICATE_REVOKED', `the certificate of agent ${agent} was revoked; an admin must enrol it again (createAgentEnrollment)`, { agent }),
  mismatch: (certified: string, claimed: string) =>
    new FerriteError(
      'AGENT_IDENTITY_MISMATCH',
      `the client certificate belongs to agent ${JSON.stringify(certified)}, not ${JSON.stringify(claimed)}: an agent acts only as the name it enrolled with`,
      { certified, claimed },
    ),
};
