// The only code the agent and the catalog server share: the generated protocol types and gRPC stubs,
// the LTO generations table both plan with, and the agent enrolment token's format.
export * from './gen/ferrite/agent/v1/agent.js';
export { Timestamp } from './gen/google/protobuf/timestamp.js';
export * from './lto-generations.js';
export * from './enrollment-token.js';
