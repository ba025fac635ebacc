// Public surface of @ferrite/agent for embedding and tests.
export * from './drives/drive.js';
export { loadAgentConfig, type AgentConfig } from './config/agent-config.js';
