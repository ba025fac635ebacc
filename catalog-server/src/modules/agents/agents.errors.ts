// Error codes of the agents domain (agents, their drives and changers, sessions).
import { FerriteError } from '../../common/errors.js';

export const AgentErrors = {
  notFound: (name: string) =>
    new FerriteError('AGENT_NOT_FOUND', `no agent named ${JSON.stringify(name)} has registered; check the name under \`agents\``, { agent: name }),
  idNotFound: (id: string) => new FerriteError('AGENT_NOT_FOUND', `agent ${id} is not registered; register again`, { agentId: id }),
  noneRegistered: () => new FerriteError('AGENT_NOT_FOUND', 'no agent has registered, so none can restore; start an agent (or name one with agent:)', {}),
  invalidRegistration: (message: string, details: Record<string, unknown> = {}) => new FerriteError('INVALID_REGISTRATION', message, details),
  offline: (name: string) =>
    new FerriteError('AGENT_OFFLINE', `agent ${name} is not connected; start it (or wait until it is back) and ask again`, { agent: name }),
  sessionInvalid: (agentId: string) => new FerriteError('SESSION_INVALID', `session is not the current one of agent ${agentId}; register again`, { agentId }),
};
