// Agents' certificates through the real server's gRPC endpoint (TLS on loopback): enrolment and its
// refusals, every AgentService call refused without a valid certificate (generated from the service
// definition), an agent acting as another, report injection, revocation and renewal, and the
// agent's own enrolment and renewal code (from its build) against this server.
import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { credentials, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { AgentServiceClient, AgentServiceService, JobEventType, RegisterRequest } from '@ferrite/proto';
import type { GraphQLClient } from 'graphql-request';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { AgentIdentityService } from '../../../src/modules/agent-identity/agent-identity.service.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { adminClient } from '../../support/auth.js';
import {
  agentChannelCredentials,
  callEnroll,
  enrollAgent,
  enrollmentToken,
  newKeyAndRequest,
  SERVER_NAME_OPTIONS,
  type AgentTlsIdentity,
} from '../../support/agent-credentials.js';
import { FakeAgent } from '../../support/fake-agent.js';
import { testServerConfig } from '../../support/test-server.js';
import { libraryRequest } from '../catalog-fixture.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');

/** A module of the agent's build (the catalog server does not depend on the agent package). */
async function agentModule<T>(file: string): Promise<T> {
  return (await import(pathToFileURL(path.join(repoRoot, 'agent/dist/src', file)).href)) as T;
}

interface AgentIdentityLike extends AgentTlsIdentity {
  name: string;
  caFingerprint: string;
  notAfter: Date;
}
interface EnrollModule {
  enroll: (o: { server: string; token: string; dir: string; serverName: string; agentName: string }) => Promise<AgentIdentityLike>;
}
interface ServerTlsLike {
  credentials: ChannelCredentials;
  serverName: string;
}
interface AgentClientLike {
  register(req: RegisterRequest): Promise<{ agentId: string }>;
  close(): void;
}
interface RenewalLike {
  renewIfDue(now?: number): Promise<boolean>;
}
let db: TestDatabase;
let server: RunningServer;
let gql: GraphQLClient;
let owner: FakeAgent;

async function grpcError(p: Promise<unknown>): Promise<{ code: number; ferriteCode: string | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as ServiceError;
    return { code: e.code, ferriteCode: e.metadata?.get('ferrite-code')[0] as string | undefined };
  }
  assert.fail('expected the call to be refused');
}

/** Calls every method of AgentService with an empty request over `channel`; the refusals, by method. */
async function everyMethod(channel: ChannelCredentials, agentId = ''): Promise<Record<string, { code: number; ferriteCode?: string }>> {
  const client = new AgentServiceClient(server.grpcAddress, channel, SERVER_NAME_OPTIONS);
  const out: Record<string, { code: number; ferriteCode?: string }> = {};
  try {
    for (const [name, def] of Object.entries(AgentServiceService) as [string, { requestDeserialize(b: Buffer): object; responseStream: boolean }][]) {
      const request = { ...def.requestDeserialize(Buffer.alloc(0)), ...(agentId ? { agentId } : {}) };
      const method = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[name].bind(client);
      const options = { deadline: new Date(Date.now() + 10_000) };
      const result = await new Promise<{ code: number; ferriteCode?: string }>((resolve) => {
        const settle = (err: ServiceError | null) =>
          resolve(err ? { code: err.code, ferriteCode: err.metadata?.get('ferrite-code')[0] as string | undefined } : { code: status.OK });
        if (def.responseStream) {
          const stream = method(request, new Metadata(), options) as NodeJS.EventEmitter;
          stream.on('data', () => {});
          stream.on('error', settle);
          stream.on('end', () => settle(null));
        } else {
          method(request, new Metadata(), options, settle);
        }
      });
      out[name] = result;
    }
  } finally {
    client.close();
  }
  return out;
}

/** A certificate for `name` signed by a CA of its own (not the server's). */
async function foreignIdentity(name: string): Promise<AgentTlsIdentity> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Not Ferrite',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const { keyPem, csrPem } = await newKeyAndRequest(name);
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `CN=${name}`,
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingKey: caKeys.privateKey,
    publicKey: await csr.publicKey.export(),
    signingAlgorithm: alg,
    extensions: [new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.2'])],
  });
  return { keyPem, certificatePem: cert.toString('pem'), caPem: server.app.get(AgentIdentityService).ca.certificatePem };
}

async function auditResults(operation: string): Promise<string[]> {
  const r = await gql.request<{ auditLog: { edges: { node: { operation: string; result: string; operator: string | null } }[] } }>(
    `{ auditLog(first: 200) { edges { node { operation result operator } } } }`,
  );
  return r.auditLog.edges.filter((e) => e.node.operation === operation).map((e) => `${e.node.operator ?? '-'} ${e.node.result}`);
}

before(async () => {
  db = await createTestDatabase('agent_identity');
  server = await startServer(testServerConfig(db.url), { logger: createLogger('error', process.stderr) });
  gql = adminClient(server);
  owner = new FakeAgent(server);
  await owner.register(libraryRequest('id-owner', ['IDO001L9']));
  await owner.openCommands();
});

after(async () => {
  owner?.close();
  await server?.stop();
  await db?.drop();
});

describe('the gRPC endpoint without a valid certificate', () => {
  it('refuses every AgentService call from a client without a certificate (UNAUTHENTICATED)', async () => {
    const ca = server.app.get(AgentIdentityService).ca.certificatePem;
    const results = await everyMethod(agentChannelCredentials(ca), owner.agentId);
    assert.ok(Object.keys(results).length >= 15, `${Object.keys(results).length} methods`);
    for (const [method, r] of Object.entries(results)) assert.deepEqual(r, { code: status.UNAUTHENTICATED, ferriteCode: 'UNAUTHENTICATED' }, method);
  });

  it('refuses every call from a certificate of another CA, even for an enrolled name', async () => {
    const foreign = await foreignIdentity('id-owner');
    const results = await everyMethod(agentChannelCredentials(foreign.caPem, foreign), owner.agentId);
    for (const [method, r] of Object.entries(results)) assert.deepEqual(r, { code: status.UNAUTHENTICATED, ferriteCode: 'UNAUTHENTICATED' }, method);
  });

  it('refuses a certificate our CA signed that was never issued to an agent', async () => {
    const identities = server.app.get(AgentIdentityService);
    const { keyPem, csrPem } = await newKeyAndRequest('id-owner');
    const unrecorded = await identities.ca.issueAgentCertificate(csrPem, 'id-owner', 1);
    const results = await everyMethod(agentChannelCredentials(identities.ca.certificatePem, { keyPem, certificatePem: unrecorded.pem }), owner.agentId);
    for (const [method, r] of Object.entries(results)) assert.equal(r.ferriteCode, 'UNAUTHENTICATED', method);
  });

  it('does not speak plaintext', async () => {
    const results = await everyMethod(credentials.createInsecure());
    for (const [method, r] of Object.entries(results)) assert.equal(r.code, status.UNAVAILABLE, method);
  });
});

describe('enrolment', () => {
  it('issues a certificate once per token; a replayed, expired, foreign or garbled token is ENROLLMENT_INVALID', async () => {
    const token = await enrollmentToken(server, 'id-new');
    const { csrPem } = await newKeyAndRequest('id-new');
    // Another name than the token's: refused, and the token stays usable.
    assert.deepEqual(await grpcError(callEnroll(server, { token, csrPem, agentName: 'id-other' })), {
      code: status.PERMISSION_DENIED,
      ferriteCode: 'ENROLLMENT_INVALID',
    });
    const res = await callEnroll(server, { token, csrPem, agentName: 'id-new' });
    assert.equal(res.agentName, 'id-new');
    assert.match(res.certificatePem, /BEGIN CERTIFICATE/);
    assert.deepEqual(await grpcError(callEnroll(server, { token, csrPem })), { code: status.PERMISSION_DENIED, ferriteCode: 'ENROLLMENT_INVALID' }, 'replayed');

    const expired = await enrollmentToken(server, 'id-late');
    await server.app.get(AgentIdentityService)['repo']['prisma'].client.agentEnrollment.updateMany({
      where: { agentName: 'id-late' },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    assert.equal((await grpcError(callEnroll(server, { token: expired, csrPem }))).ferriteCode, 'ENROLLMENT_INVALID', 'expired');
    const [prefix, secret] = token.split('.');
    const otherCa = `${prefix}.${secret}.${Buffer.alloc(32, 7).toString('base64url')}`;
    assert.equal((await grpcError(callEnroll(server, { token: otherCa, csrPem }))).ferriteCode, 'ENROLLMENT_INVALID', "another CA's token");
    assert.equal((await grpcError(callEnroll(server, { token: 'fen1.nope', csrPem }))).ferriteCode, 'ENROLLMENT_INVALID', 'garbled');
    const fresh = await enrollmentToken(server, 'id-csr');
    assert.deepEqual(await grpcError(callEnroll(server, { token: fresh, csrPem: 'not a csr' })), { code: status.INVALID_ARGUMENT, ferriteCode: 'INVALID_CSR' });
    // The refused CSR did not spend the token.
    assert.equal((await callEnroll(server, { token: fresh, csrPem: (await newKeyAndRequest('x')).csrPem })).agentName, 'id-csr');

    const certs = await gql.request<{ agentCertificates: { agentName: string; issuedBy: string; revokedAt: string | null }[] }>(
      '{ agentCertificates(agent: "id-new") { agentName issuedBy revokedAt } }',
    );
    assert.deepEqual(certs.agentCertificates, [{ agentName: 'id-new', issuedBy: 'ENROLLED', revokedAt: null }]);
    const audit = await auditResults('agent.enroll');
    assert.ok(audit.includes('agent:id-new OK'), audit.join(', '));
    assert.ok(audit.includes('- ENROLLMENT_INVALID'), audit.join(', '));
  });

  it('refuses names that are not agent names, and only an admin makes tokens', async () => {
    const r = await gql.request<{ certificateAuthority: { fingerprint: string } }>('{ certificateAuthority { fingerprint } }');
    assert.match(r.certificateAuthority.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    await assert.rejects(gql.request('mutation { createAgentEnrollment(name: "../etc") { token } }'), /INVALID_ARGUMENT|not an agent name/);
    await assert.rejects(gql.request('mutation { createAgentEnrollment(name: "ferrite-catalog") { token } }'), /not an agent name/);
    await assert.rejects(gql.request('mutation { createAgentEnrollment(name: "ok", expiresInMinutes: 0) { token } }'), /1 to \d+ minutes/);
  });

  it("the agent's enrol command pins the CA: a token with another fingerprint sends nothing; the right one enrols", async () => {
    const { enroll } = await agentModule<EnrollModule>('identity/enroll.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ferrite-enroll-'));
    try {
      const token = await enrollmentToken(server, 'id-cli');
      const [prefix, secret] = token.split('.');
      const pinnedElsewhere = `${prefix}.${secret}.${Buffer.alloc(32, 9).toString('base64url')}`;
      await assert.rejects(
        enroll({ server: server.grpcAddress, token: pinnedElsewhere, dir, serverName: 'ferrite-catalog', agentName: 'id-cli' }),
        /did not present the CA this token pins/,
      );
      // Nothing was sent: the real token still enrols.
      const identity = await enroll({ server: server.grpcAddress, token, dir, serverName: 'ferrite-catalog', agentName: 'id-cli' });
      assert.equal(identity.name, 'id-cli');
      assert.equal(identity.caFingerprint, server.app.get(AgentIdentityService).ca.fingerprint);
      assert.equal((await stat(path.join(dir, 'agent.pem'))).mode & 0o777, 0o600);
      // A server name the certificate does not carry is refused by the agent.
      const again = await enrollmentToken(server, 'id-cli2');
      await assert.rejects(
        enroll({ server: server.grpcAddress, token: again, dir: `${dir}-2`, serverName: 'evil.example', agentName: 'id-cli2' }),
        /enrolment failed/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}-2`, { recursive: true, force: true });
    }
  });
});

describe('an agent acts only as itself', () => {
  it('refuses a registration under another agent name, and changes nothing', async () => {
    const identity = await enrollAgent(server, 'id-impostor');
    const impostor = new FakeAgent(server, agentChannelCredentials(identity.caPem, identity));
    try {
      assert.deepEqual(await grpcError(impostor.register(libraryRequest('id-owner', ['EVIL01L9']))), {
        code: status.PERMISSION_DENIED,
        ferriteCode: 'AGENT_IDENTITY_MISMATCH',
      });
      const r = await gql
        .request<{ tapes: { edges: unknown[] } }>('{ tapes(filter: { barcode: "EVIL01L9" }) { edges { node { barcode } } } }')
        .catch(() => null);
      assert.ok(!r || r.tapes.edges.length === 0, 'the impostor inventory was not recorded');
      assert.equal(owner.lastBeatValid !== false, true);
      assert.deepEqual((await owner.heartbeat()).sessionValid, true, "the owner's session was not taken over");
    } finally {
      impostor.close();
    }
  });

  it('refuses reports that name another agent (report injection) and audits them', async () => {
    const identity = await enrollAgent(server, 'id-injector');
    const injector = new FakeAgent(server, agentChannelCredentials(identity.caPem, identity));
    try {
      await injector.register(libraryRequest('id-injector', []));
      // Its own calls work; the owner's agent id does not.
      assert.equal((await injector.heartbeat()).sessionValid, true);
      injector.agentId = owner.agentId;
      injector.sessionId = owner.sessionId;
      assert.equal((await grpcError(injector.heartbeat())).ferriteCode, 'AGENT_IDENTITY_MISMATCH');
      assert.equal((await grpcError(injector.files(crypto.randomUUID(), 1))).ferriteCode, 'AGENT_IDENTITY_MISMATCH');
      assert.equal((await grpcError(injector.event(crypto.randomUUID(), JobEventType.JOB_EVENT_TYPE_STARTED))).ferriteCode, 'AGENT_IDENTITY_MISMATCH');
      const all = await everyMethod(agentChannelCredentials(identity.caPem, identity), owner.agentId);
      for (const [method, r] of Object.entries(all)) {
        if (method === 'register' || method === 'renewCertificate') continue;
        assert.equal(r.ferriteCode, 'AGENT_IDENTITY_MISMATCH', method);
      }
      const audit = await auditResults('agent.Heartbeat');
      assert.deepEqual(audit, ['agent:id-injector AGENT_IDENTITY_MISMATCH'], 'audited once a minute per certificate');
    } finally {
      injector.close();
    }
  });
});

describe('revocation and renewal', () => {
  it("revokeAgent ends the agent's stream and refuses its certificate; a new enrolment lets it back", async () => {
    const victim = new FakeAgent(server);
    await victim.register(libraryRequest('id-revoked', []));
    await victim.openCommands();
    const ended = victim.streamEnded();
    const r = await gql.request<{ revokeAgent: { agentName: string; revokedCertificates: number } }>(
      'mutation { revokeAgent(name: "id-revoked") { agentName revokedCertificates } }',
    );
    assert.deepEqual(r.revokeAgent, { agentName: 'id-revoked', revokedCertificates: 1 });
    await ended;
    assert.deepEqual(await grpcError(victim.heartbeat()), { code: status.UNAUTHENTICATED, ferriteCode: 'CERTIFICATE_REVOKED' });
    assert.equal((await grpcError(victim.register(libraryRequest('id-revoked', [])))).ferriteCode, 'CERTIFICATE_REVOKED');
    victim.close();
    await assert.rejects(gql.request('mutation { revokeAgent(name: "never-was") { agentName } }'), /AGENT_NOT_FOUND|no agent named/);
    const back = new FakeAgent(server);
    await back.register(libraryRequest('id-revoked', []));
    assert.equal((await back.heartbeat()).sessionValid, true);
    back.close();
  });

  it("renews through the agent's own renewal code; the new certificate works and is on record", async () => {
    const { CertificateRenewal } = await agentModule<{ CertificateRenewal: new (...args: unknown[]) => RenewalLike }>('identity/renewal.js');
    const { ServerClient } = await agentModule<{ ServerClient: new (address: string, tls: ServerTlsLike, log: unknown) => AgentClientLike }>(
      'session/server-client.js',
    );
    const { serverTls } = await agentModule<{ serverTls: (ca: string, name: string, id: AgentTlsIdentity) => ServerTlsLike }>('identity/tls-credentials.js');
    const { saveIdentity, loadIdentity } = await agentModule<{
      saveIdentity: (dir: string, files: AgentTlsIdentity) => Promise<AgentIdentityLike>;
      loadIdentity: (dir: string) => Promise<AgentIdentityLike | null>;
    }>('identity/identity-store.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ferrite-renew-'));
    const log = createLogger('silent');
    const identity = await saveIdentity(dir, await enrollAgent(server, 'id-renew'));
    const client = new ServerClient(server.grpcAddress, serverTls(identity.caPem, 'ferrite-catalog', identity), log);
    try {
      const renewal = new CertificateRenewal(identity, client, dir, 'ferrite-catalog', log);
      assert.equal(await renewal.renewIfDue(), false, 'not due while most of its lifetime is left');
      assert.equal(await renewal.renewIfDue(identity.notAfter.getTime() - 1000), true);
      const stored = (await loadIdentity(dir))!;
      assert.notEqual(stored.certificatePem, identity.certificatePem);
      assert.notEqual(stored.keyPem, identity.keyPem, 'a new key');
      const reg = await client.register(RegisterRequest.fromPartial({ agentName: 'id-renew', hostname: 'h', version: 't' }));
      assert.ok(reg.agentId, 'the renewed certificate registers');
      const certs = await gql.request<{ agentCertificates: { issuedBy: string }[] }>('{ agentCertificates(agent: "id-renew") { issuedBy } }');
      assert.deepEqual(certs.agentCertificates.map((c) => c.issuedBy).sort(), ['ENROLLED', 'RENEWED']);
    } finally {
      client.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
