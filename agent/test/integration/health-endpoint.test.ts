// The agent's health endpoint over real HTTP on loopback: /healthz at once, /readyz only once
// registered and while the last server call succeeded, /metrics counting bytes per drive from job
// progress, busy drives, running jobs and reconnects. The server calls and the runner are fakes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { HeartbeatRequest, HeartbeatResponse, RegisterRequest, RegisterResponse } from '@ferrite/proto';
import { startAgentHealth } from '../../src/health/agent-health.js';
import type { HealthServer } from '../../src/health/health-server.js';
import type { JobWatcher } from '../../src/jobs/job-runner.js';

let health: HealthServer;
let watcher: JobWatcher | null = null;
let serverUp = true;
const running = new Map<string, string[]>();
const client = {
  register: (_req: RegisterRequest) => (serverUp ? Promise.resolve({ agentId: 'a1' } as RegisterResponse) : Promise.reject(new Error('UNAVAILABLE'))),
  heartbeat: (_req: HeartbeatRequest) => (serverUp ? Promise.resolve({ sessionValid: true } as HeartbeatResponse) : Promise.reject(new Error('UNAVAILABLE'))),
};
const runner = {
  watch: (w: JobWatcher) => void (watcher = w),
  runningJobIds: () => [...running.keys()],
  busyDriveNames: () => new Set([...running.values()].flat()),
};
const drives = { all: () => ['d0', 'd1'].map((name) => ({ drive: { identity: { name } } })) } as never;

before(async () => {
  health = (await startAgentHealth({ healthHost: '127.0.0.1', healthPort: 0 }, { client, runner, drives }, pino({ level: 'silent' })))!;
});
after(() => health?.close());

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${health.port}${path}`);
  return { status: res.status, text: await res.text() };
}

function value(text: string, sample: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(sample + ' '));
  return line ? Number(line.slice(sample.length + 1)) : null;
}

test('off unless healthPort is set', async () => {
  assert.equal(await startAgentHealth({ healthHost: '127.0.0.1' }, { client, runner, drives }, pino({ level: 'silent' })), null);
});

test('/healthz answers at once; /readyz only once registered and while the server answers', async () => {
  assert.deepEqual(await get('/healthz'), { status: 200, text: '{"status":"ok"}' });
  assert.deepEqual(await get('/readyz'), { status: 503, text: '{"status":"unavailable"}' });
  await client.register({} as RegisterRequest);
  assert.equal((await get('/readyz')).status, 200);
  serverUp = false;
  await client.heartbeat({} as HeartbeatRequest).catch(() => {});
  assert.equal((await get('/readyz')).status, 503);
  serverUp = true;
  await client.register({} as RegisterRequest);
  assert.equal((await get('/readyz')).status, 200);
  assert.equal((await get('/nowhere')).status, 404);
});

test('/metrics: running jobs, busy drives, bytes per drive and direction, registrations', async () => {
  running.set('j1', ['d0', 'd1']);
  const backup = { jobId: 'j1', attempt: 1, kind: 'JOB_KIND_BACKUP', driveNames: ['d0', 'd1'] };
  watcher!.progress(backup, 1000);
  watcher!.progress(backup, 1000); // the same figure again (a final progress): no new bytes
  watcher!.progress(backup, 4000);
  watcher!.progress({ jobId: 'j2', attempt: 1, kind: 'JOB_KIND_RESTORE', driveNames: ['d1'] }, 700);
  watcher!.progress({ jobId: 'j3', attempt: 1, kind: 'JOB_KIND_FORMAT', driveNames: ['d0'] }, 500);

  const { status, text } = await get('/metrics');
  assert.equal(status, 200);
  assert.equal(value(text, 'ferrite_agent_jobs_running'), 1);
  assert.equal(value(text, 'ferrite_agent_drive_busy{drive="d0"}'), 1);
  assert.equal(value(text, 'ferrite_agent_drive_bytes_total{drive="d0",direction="written"}'), 4000);
  assert.equal(value(text, 'ferrite_agent_drive_bytes_total{drive="d1",direction="written"}'), 4000);
  assert.equal(value(text, 'ferrite_agent_drive_bytes_total{drive="d1",direction="read"}'), 700);
  assert.equal(value(text, 'ferrite_agent_drive_bytes_total{drive="d0",direction="read"}'), null);
  assert.equal(value(text, 'ferrite_agent_registrations_total'), 2);
  assert.ok((value(text, 'process_resident_memory_bytes') ?? 0) > 0);

  running.clear();
  assert.equal(value((await get('/metrics')).text, 'ferrite_agent_drive_busy{drive="d1"}'), 0);
});
