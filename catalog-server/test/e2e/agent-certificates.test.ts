// Agents' certificates through the real processes: the catalog server process with its own CA, and
// real agent processes (agent/dist/src/main.js) that enrol with a token, refuse to start without a
// certificate or with another agent's, cannot enrol twice with one token, cannot act as another
// agent, and exit when an admin revokes them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { RegisterRequest } from '@ferrite/proto';
import { startStack, type Stack } from '../support/stack.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const agentMain = path.join(repoRoot, 'agent/dist/src/main.js');

interface AgentIdentityLike {
  name: string;
  keyPem: string;
  certificatePem: string;
  caPem: string;
}

/** Runs the agent's command line to its end: exit code and what it printed. */
function runAgent(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [agentMain, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('agents with certificates, as processes', { timeout: 300_000 }, () => {
  let stack: Stack;
  let agentA: ChildProcess;
  const configOf = (name: string) => path.join(stack.tmp, 'agents', name, 'agent.json');

  /** A config for an agent process the Stack does not run (no library: it needs none to enrol). */
  async function writeConfig(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const dir = path.join(stack.tmp, 'manual', name);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'agent.json');
    await writeFile(
      file,
      JSON.stringify({
        name,
        server: stack.grpcAddress,
        stateDir: path.join(dir, 'state'),
        allowedBackupRoots: [stack.tmp],
        allowedRestoreRoots: [stack.restoreRoot],
        logLevel: 'info',
        ...extra,
      }),
    );
    return file;
  }

  const token = (name: string) => stack.enrollmentToken(name);

  before(async () => {
    stack = await startStack('agent-certs');
    agentA = await stack.startAgent({ name: 'cert-a', barcodes: ['CRA001L9'] });
  });
  after(() => stack?.stop());

  it('the Stack agent enrolled with its token and is online over mutual TLS', async () => {
    const r = await stack.gql.request<{ agentCertificates: { issuedBy: string; revokedAt: string | null }[]; agent: { online: boolean } }>(
      '{ agentCertificates(agent: "cert-a") { issuedBy revokedAt } agent(name: "cert-a") { online } }',
    );
    assert.deepEqual(r.agentCertificates, [{ issuedBy: 'ENROLLED', revokedAt: null }]);
    assert.equal(r.agent.online, true);
  });

  it('an agent without a certificate or token does not start, and says how to enrol', async () => {
    const { code, output } = await runAgent(['--config', await writeConfig('cert-none')]);
    assert.equal(code, 1);
    assert.match(output, /not enrolled .*createAgentEnrollment.*ferrite-agent enroll/s);
  });

  it('`ferrite-agent enroll` enrols once per token; the replay is refused and nothing is written', async () => {
    const config = await writeConfig('cert-b');
    const t = await token('cert-b');
    const first = await runAgent(['enroll', '--config', config, '--token', t]);
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /enrolled agent cert-b/);
    const replayConfig = await writeConfig('cert-b-again', { name: 'cert-b' });
    const replay = await runAgent(['enroll', '--config', replayConfig, '--token', t]);
    assert.equal(replay.code, 1);
    assert.match(replay.output, /ENROLLMENT_INVALID|used already/);
    const wrongName = await runAgent(['enroll', '--config', await writeConfig('cert-c'), '--token', await token('cert-d')]);
    assert.equal(wrongName.code, 1);
    assert.match(wrongName.output, /enrols agent "cert-d", not "cert-c"/);
    const r = await stack.gql.request<{ agentCertificates: { agentName: string }[] }>('{ agentCertificates { agentName } }');
    assert.deepEqual(r.agentCertificates.map((c) => c.agentName).sort(), ['cert-a', 'cert-b']);
  });

  it("an agent given another agent's certificate refuses to start; over the wire the server refuses it (AGENT_IDENTITY_MISMATCH)", async () => {
    // cert-b's identity copied under a config naming cert-a.
    const config = await writeConfig('cert-a-impostor', { name: 'cert-a', identityDir: path.join(stack.tmp, 'manual', 'cert-b', 'state', 'identity') });
    const local = await runAgent(['--config', config]);
    assert.equal(local.code, 1);
    assert.match(local.output, /agent "cert-b"'s, but this config names "cert-a"/);
    // A client that skips that check: the agent's own gRPC client with cert-b's certificate.
    const load = async <T>(file: string) => (await import(pathToFileURL(path.join(repoRoot, 'agent/dist/src', file)).href)) as T;
    const { loadIdentity } = await load<{ loadIdentity: (dir: string) => Promise<AgentIdentityLike> }>('identity/identity-store.js');
    const { serverTls } = await load<{
      serverTls: (ca: string, name: string, id: AgentIdentityLike) => { credentials: ChannelCredentials; serverName: string };
    }>('identity/tls-credentials.js');
    const { ServerClient } = await load<{
      ServerClient: new (address: string, tls: unknown, log: unknown) => { register(r: RegisterRequest): Promise<unknown>; close(): void };
    }>('session/server-client.js');
    const { createLogger } = await load<{ createLogger: (level: string) => unknown }>('logger.js');
    const identity = await loadIdentity(path.join(stack.tmp, 'manual', 'cert-b', 'state', 'identity'));
    const client = new ServerClient(stack.grpcAddress, serverTls(identity.caPem, 'ferrite-catalog', identity), createLogger('silent'));
    try {
      await assert.rejects(client.register(RegisterRequest.fromPartial({ agentName: 'cert-a', hostname: 'evil', version: 'x' })), /AGENT_IDENTITY_MISMATCH/);
    } finally {
      client.close();
    }
    const a = await stack.gql.request<{ agent: { hostname: string; online: boolean } }>('{ agent(name: "cert-a") { hostname online } }');
    assert.deepEqual(a.agent, { hostname: 'cert-a.test', online: true }, 'the real cert-a is untouched');
  });

  it('revokeAgent makes the running agent exit and refuses it from then on; a new enrolment brings it back', async () => {
    const exited = new Promise<number | null>((resolve) => agentA.once('exit', resolve));
    const r = await stack.gql.request<{ revokeAgent: { revokedCertificates: number } }>('mutation { revokeAgent(name: "cert-a") { revokedCertificates } }');
    assert.equal(r.revokeAgent.revokedCertificates, 1);
    assert.equal(await exited, 1, 'the agent exits on CERTIFICATE_REVOKED');
    await stack.waitForAgentOffline('cert-a', 60_000);
    const again = await runAgent(['--config', configOf('cert-a')], {}, 30_000);
    assert.equal(again.code, 1);
    assert.match(again.output, /CERTIFICATE_REVOKED|was revoked/);
    const audit = await stack.gql.request<{ auditLog: { edges: { node: { operation: string; result: string } }[] } }>(
      '{ auditLog(operation: "Mutation.revokeAgent") { edges { node { operation result } } } }',
    );
    assert.deepEqual(
      audit.auditLog.edges.map((e) => e.node.result),
      ['OK'],
    );
    // Enrolled again under its name (its identity replaced): online again.
    const fresh = await runAgent(['enroll', '--config', configOf('cert-a'), '--token', await token('cert-a')]);
    assert.equal(fresh.code, 0, fresh.output);
    await stack.startAgent({ name: 'cert-a', barcodes: ['CRA001L9'] });
  });
});
