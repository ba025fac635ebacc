// Certificates for agents in server tests: the real enrolment (a token from the server's
// AgentIdentityService, a key and CSR made by the agent's own code, the Enroll RPC over TLS pinned
// to the CA), and the TLS credentials an agent dials with.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { credentials, Metadata, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { AgentEnrollmentServiceClient, type EnrollResponse } from '@ferrite/proto';
import type { INestApplication } from '@nestjs/common';
import { AgentIdentityService } from '../../src/modules/agent-identity/agent-identity.service.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The agents' CA every in-process test server of this run shares (scripts/run-tests.mjs makes it
 *  a temp directory), so replicas trust one another's agents. */
export function testCaDir(): string {
  return process.env.FERRITE_TEST_CA_DIR ?? path.join(os.tmpdir(), `ferrite-test-ca-${process.getuid?.() ?? 0}`);
}

export interface AgentTlsIdentity {
  keyPem: string;
  certificatePem: string;
  caPem: string;
}

/** What a server test needs of a running server. */
export interface ServerUnderTest {
  grpcAddress: string;
  app: INestApplication;
}

/** The name the server's certificate carries; agents check for it. */
export const SERVER_NAME_OPTIONS: ChannelOptions = { 'grpc.ssl_target_name_override': 'ferrite-catalog', 'grpc.default_authority': 'ferrite-catalog' };

/** The agent's own key and CSR code (agent/src/identity/certificate-request.ts), from its build. */
export async function newKeyAndRequest(name: string): Promise<{ keyPem: string; csrPem: string }> {
  const mod = (await import(pathToFileURL(path.join(repoRoot, 'agent/dist/src/identity/certificate-request.js')).href)) as {
    newKeyAndRequest(name: string): Promise<{ keyPem: string; csrPem: string }>;
  };
  return mod.newKeyAndRequest(name);
}

export async function enrollmentToken(server: ServerUnderTest, name: string, minutes = 10): Promise<string> {
  return (await server.app.get(AgentIdentityService).createEnrollment(name, minutes, null)).token;
}

/** Calls Enroll (no client certificate, the CA trusted); rejects with the gRPC error. */
export function callEnroll(server: ServerUnderTest, req: { token: string; csrPem: string; agentName?: string }): Promise<EnrollResponse> {
  const caPem = server.app.get(AgentIdentityService).ca.certificatePem;
  const client = new AgentEnrollmentServiceClient(server.grpcAddress, credentials.createSsl(Buffer.from(caPem)), SERVER_NAME_OPTIONS);
  return new Promise<EnrollResponse>((resolve, reject) =>
    client.enroll({ agentName: '', ...req }, new Metadata(), { deadline: new Date(Date.now() + 20_000) }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res);
    }),
  );
}

/** Enrols `name` the way an agent does and returns its key, certificate and the CA. */
export async function enrollAgent(server: ServerUnderTest, name: string): Promise<AgentTlsIdentity> {
  const { keyPem, csrPem } = await newKeyAndRequest(name);
  const res = await callEnroll(server, { token: await enrollmentToken(server, name), csrPem, agentName: name });
  return { keyPem, certificatePem: res.certificatePem, caPem: res.caCertificatePem };
}

/** TLS trusting only the CA, presenting the agent's certificate (none: `identity` without key). */
export function agentChannelCredentials(caPem: string, identity?: { keyPem: string; certificatePem: string }): ChannelCredentials {
  return identity
    ? credentials.createSsl(Buffer.from(caPem), Buffer.from(identity.keyPem), Buffer.from(identity.certificatePem))
    : credentials.createSsl(Buffer.from(caPem));
}
