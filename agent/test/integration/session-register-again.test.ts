// The agent's session against a catalog server that forgets sessions: real gRPC on loopback, a
// stand-in server that refuses the first command stream the way the catalog server does when it no
// longer knows the session (it restarted between the registration and the stream). The agent must
// register again and hold the new stream, never exit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { credentials, Metadata, Server, ServerCredentials, status, type ServerWritableStream, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { AgentServiceService, type CommandsRequest, type CommandsResponse, type RegisterRequest, type RegisterResponse } from '@ferrite/proto';
import { AgentSession, type JobHost } from '../../src/session/agent-session.js';
import { ServerClient } from '../../src/session/server-client.js';
import { DriveSet } from '../../src/drives/drive-set.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import { createLogger } from '../../src/logger.js';

class ForgetfulServer {
  registrations = 0;
  streams: string[] = [];
  /** How the next command stream is refused: the real server's trailers, or only its code. */
  refuseNext: 'action' | 'code-only' | 'other' | null = 'action';
  readonly server = new Server();
  port = 0;

  async start(): Promise<void> {
    const notImplemented = (_call: unknown, cb: sendUnaryData<unknown>) => cb({ code: status.UNIMPLEMENTED, details: 'not here' });
    this.server.addService(AgentServiceService, {
      register: (call: ServerUnaryCall<RegisterRequest, RegisterResponse>, cb: sendUnaryData<RegisterResponse>) => {
        this.registrations++;
        cb(null, { agentId: 'agent-1', sessionId: `session-${this.registrations}`, heartbeatIntervalMs: 600_000 });
      },
      commands: (call: ServerWritableStream<CommandsRequest, CommandsResponse>) => {
        this.streams.push(call.request.sessionId);
        const refusal = this.refuseNext;
        this.refuseNext = null;
        if (!refusal) return; // held open until the test ends
        const md = new Metadata();
        if (refusal === 'other') {
          md.set('ferrite-code', 'AGENT_DISABLED');
          call.emit('error', { code: status.FAILED_PRECONDITION, details: 'AGENT_DISABLED: an operator disabled this agent', metadata: md });
          return;
        }
        md.set('ferrite-code', 'SESSION_INVALID');
        if (refusal === 'action') md.set('ferrite-action', 'register');
        call.emit('error', {
          code: status.FAILED_PRECONDITION,
          details: `SESSION_INVALID: session is not the current one of agent agent-1; register again`,
          metadata: md,
        });
      },
      heartbeat: notImplemented,
      reportJobEvent: notImplemented,
      reportFiles: notImplemented,
      incrementalBase: notImplemented,
      verifyItems: notImplemented,
      reportRebuild: notImplemented,
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
  }
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('agent session when the server forgets it', { timeout: 60_000 }, () => {
  const fake = new ForgetfulServer();
  const log = createLogger('silent');
  const runner: JobHost = { busyDriveNames: () => new Set<string>(), runningJobIds: () => [], assign: () => {}, cancel: () => {}, shutdown: async () => {} };
  const config = {
    name: 'agent-x',
    hostname: 'host-x',
    allowedBackupRoots: [],
    allowedRestoreRoots: [],
    allowFormat: false,
    allowForceFormat: false,
  } as unknown as AgentConfig;

  before(() => fake.start());
  after(() => fake.server.forceShutdown());

  for (const refusal of ['action', 'code-only'] as const) {
    it(`registers again instead of exiting (${refusal === 'action' ? 'ferrite-action trailer' : 'SESSION_INVALID code alone'})`, async () => {
      fake.registrations = 0;
      fake.streams = [];
      fake.refuseNext = refusal;
      const client = new ServerClient(`127.0.0.1:${fake.port}`, { credentials: credentials.createInsecure(), serverName: 'ferrite-catalog' }, log);
      const session = new AgentSession(client, config, new DriveSet([], []), runner, log);
      let ended: unknown = 'running';
      const running = session.run().then(
        () => (ended = 'resolved'),
        (err: unknown) => (ended = err),
      );
      try {
        await until('a second command stream', () => fake.streams.length >= 2);
        assert.deepEqual(fake.streams, ['session-1', 'session-2'], 'the second stream uses the new session');
        assert.equal(fake.registrations, 2);
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(ended, 'running', 'the session is still up');
      } finally {
        session.stop();
        await running;
        client.close();
      }
    });
  }

  it('still stops on a refusal that registering again cannot mend', async () => {
    fake.registrations = 0;
    fake.streams = [];
    fake.refuseNext = 'other';
    const client = new ServerClient(`127.0.0.1:${fake.port}`, { credentials: credentials.createInsecure(), serverName: 'ferrite-catalog' }, log);
    const session = new AgentSession(client, config, new DriveSet([], []), runner, log);
    try {
      await assert.rejects(session.run(), (err: Error) => /AGENT_DISABLED/.test(err.message));
      assert.equal(fake.registrations, 1);
    } finally {
      session.stop();
      client.close();
    }
  });
});
