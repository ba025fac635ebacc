// The only code the agent and the catalog server share: the generated protocol types and gRPC stubs.
export * from './gen/ferrite/agent/v1/agent.js';
export { Timestamp } from './gen/google/protobuf/timestamp.js';
