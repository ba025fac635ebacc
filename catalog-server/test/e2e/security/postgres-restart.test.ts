// PostgreSQL restarting in the middle of a backup (issue 17 part 5), with real server, agent and
// database processes: the catalog's PostgreSQL is stopped while the agent writes and reports, and
// started again 2.5 s later. The server process stays up (the same process, answering with a code
// while the database is away), the agent retries its reports, the backup ends SUCCEEDED (by the same
// attempt, or interrupted and resumed), every file is in the catalog exactly once, and a restore
// gives every byte back. A control process shows why that needs the pools' error listeners: a pg
// pool without one dies of the same stop.
//
// The stack's database is on a PostgreSQL of this test's own: the one scripts/run-tests.mjs starts
// serves the other test files running beside this one and must not be stopped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startStack, waitFor, type Stack } from '../../support/stack.js';
import { allFiles, formatTape, job, startBackup, startRestore, waitForJob, waitForJobEnd } from '../../support/graphql-ops.js';
import { findTestDatabaseUrl } from '../../support/test-database.js';
import { startDedicatedPostgres, type DedicatedPostgres } from '../../support/dedicated-postgres.js';
import { codeOf, postGraphql } from '../../support/graphql-http.js';
import { bearer } from '../../support/auth.js';
import { processAlive } from '../../support/processes.js';

const LABEL = 'sec-pg-restart';
const AGENT = 'steady';
const DIRS = 8;
const FILES_PER_DIR = 1000;
const BIG_FILES = 3;
const BIG_BYTES = 24 * 1024 * 1024;
const DOWN_MS = 2500;

/** The pid of the process listening on a local TCP port (ss -ltnp). */
async function listenerPid(port: number): Promise<number> {
  const { stdout } = await promisify(execFile)('ss', ['-Hltnp', `sport = :${port}`]);
  const pid = /pid=(\d+)/.exec(stdout)?.[1];
  assert.ok(pid, `nothing listens on port ${port}: ${stdout}`);
  return Number(pid);
}

describe('PostgreSQL restarted mid-backup', { timeout: 300_000 }, () => {
  let db: DedicatedPostgres;
  let stack: Stack;
  let source: string;
  const hashes = new Map<string, string>();

  before(async () => {
    db = await startDedicatedPostgres();
    // The Stack makes its database on FERRITE_TEST_DATABASE_URL; each test file runs in a process
    // of its own, so this points only this file's stacks at the PostgreSQL it may restart.
    process.env.FERRITE_TEST_DATABASE_URL = db.adminUrl;
    stack = await startStack(LABEL);
    source = path.join(stack.tmp, 'many');
    const add = async (file: string, body: Buffer) => {
      hashes.set(file, createHash('sha256').update(body).digest('hex'));
      await writeFile(file, body);
    };
    for (let d = 0; d < DIRS; d++) {
      await mkdir(path.join(source, `dir${d}`), { recursive: true });
      await Promise.all(Array.from({ length: FILES_PER_DIR }, (_, i) => add(path.join(source, `dir${d}`, `f${i}.dat`), randomBytes(512 + ((i * 37) % 3000)))));
    }
    for (let i = 0; i < BIG_FILES; i++) await add(path.join(source, `big-${i}.bin`), randomBytes(BIG_BYTES));
    await stack.startAgent({ name: AGENT, barcodes: ['PGR001L9', 'PGR002L9'], drives: 1, slots: 3, capacityBytes: 1024 ** 3 });
    assert.equal((await waitForJob(stack.gql, await formatTape(stack.gql, 'PGR001L9'))).status, 'SUCCEEDED');
  });

  /** The JSON lines of a process's log written at or after `since` that `match`. */
  const logLinesSince = async (file: string, since: number, match: (line: Record<string, unknown>) => boolean) =>
    (await readFile(path.join(stack.tmp, 'logs', file), 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => Date.parse(String(l.time)) >= since && match(l));

  after(async () => {
    await db?.start();
    await stack?.stop();
    await db?.close();
  });

  it('control: a process whose pg pool has no error listener dies when PostgreSQL stops under its idle connection', async () => {
    const pgModule = createRequire(import.meta.url).resolve('pg');
    const script = `const { Pool } = require(${JSON.stringify(pgModule)});
      const pool = new Pool({ connectionString: process.argv[1] });
      pool.query('SELECT 1').then(() => console.log('idle'));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script, await findTestDatabaseUrl(LABEL)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await once(child.stdout, 'data');
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    await db.stop();
    const [code] = await Promise.race([exited, sleep(15_000).then(() => [null, 'still running'] as const)]);
    await db.start();
    child.kill('SIGKILL');
    assert.notEqual(code, 0, 'it exited with an error');
    assert.notEqual(code, null, `it should have died: ${stderr}`);
    assert.match(stderr, /terminating connection|Connection terminated unexpectedly/);
    // The stack's server lived through this stop too (its pools have listeners); it is needed below.
    await waitFor(
      'the server to serve again, its agent online',
      async () => (await stack.gql.request<{ agent: { online: boolean } }>('query($n: String!) { agent(name: $n) { online } }', { n: AGENT })).agent.online,
      30_000,
      300,
    );
  });

  it('the server process stays up, the agent retries, the backup ends SUCCEEDED with every file once, and restores byte for byte', async () => {
    const port = Number(new URL(stack.graphqlUrl).port);
    const serverPid = await listenerPid(port);
    const backupId = await startBackup(stack.gql, { agent: AGENT, paths: [source] });
    const running = await waitFor('the backup to be well under way', async () => {
      const j = await job(stack.gql, backupId);
      // Past 3,000 files: the first checkpoint's batch (5,000 files) is reported while PostgreSQL is away.
      return (j.progress?.filesDone ?? 0) > 3000 || !['QUEUED', 'ASSIGNED', 'RUNNING'].includes(j.status) ? j : undefined;
    });
    assert.equal(running.status, 'RUNNING', 'PostgreSQL is stopped while the backup runs');

    const stopping = Date.now();
    await db.stop();
    const stoppedAt = Date.now();
    // Away: the same process answers, with a code (not even a token can be checked now).
    await sleep(500);
    assert.ok(processAlive(serverPid), 'the server process lives while PostgreSQL is away');
    const away = await postGraphql(stack.graphqlUrl, '{ tapes { totalCount } }', { headers: bearer(stack.adminToken) });
    assert.ok(['CATALOG_ERROR', 'INTERNAL_ERROR', 'QUERY_TIMEOUT'].includes(codeOf(away) ?? ''), `while PostgreSQL is away: ${away.status} ${away.text}`);
    await sleep(Math.max(0, DOWN_MS - (Date.now() - stoppedAt)));
    assert.ok(processAlive(serverPid), 'the server process lives after its idle connections were cut');
    await db.start();

    // Interrupted (its heartbeats could not be recorded) and resumed, or finished by the same attempt.
    const ended = await waitForJobEnd(stack.gql, backupId, 240_000);
    assert.equal(ended.status, 'SUCCEEDED', `${ended.errorCode}: ${ended.errorMessage}`);
    assert.equal(await listenerPid(port), serverPid, 'the same server process, never restarted');
    // The pools' listeners were called for the connections this stop cut (and the process lived
    // on: see the control above), and the agent's reports failed and were retried.
    const lost = await logLinesSince('server.log', stopping, (l) => l.msg === 'a database connection was lost; the pool opens a new one at the next query');
    assert.ok(lost.length >= 1, 'the pools saw their idle connections die');
    const retried = await logLinesSince(`agent-${AGENT}.log`, stopping, (l) => l.msg === 'server call failed; retrying' && /^report/.test(String(l.call)));
    assert.ok(retried.length >= 1, 'the agent retried its reports');

    // Every file exactly once: versions counted per path in the catalog's own tables.
    const catalog = new pg.Client({ connectionString: await findTestDatabaseUrl(LABEL) });
    await catalog.connect();
    try {
      const counts = await catalog.query<{ path: string; n: string }>(
        `SELECT d.path || '/' || n.name AS path, count(*) AS n FROM file_version v
           JOIN directory d ON d.id = v.directory_id JOIN file_name n ON n.id = v.name_id
          WHERE v.type = 'FILE' AND NOT v.deleted GROUP BY 1`,
      );
      const twice = counts.rows.filter((r) => Number(r.n) !== 1);
      assert.deepEqual(twice, [], 'no file version twice');
      assert.deepEqual(counts.rows.map((r) => r.path).sort(), [...hashes.keys()].sort(), 'every file, nothing else');
    } finally {
      await catalog.end();
    }
    const files = await allFiles(stack.gql, { pathPrefix: source, host: AGENT, type: 'FILE' });
    assert.equal(files.length, hashes.size);
    for (const f of files) assert.equal(f.sha256, hashes.get(f.path), f.path);

    const target = path.join(stack.restoreRoot, 'after-restart');
    const restore = await waitForJob(
      stack.gql,
      await startRestore(stack.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: source }, targetDirectory: target, stripPrefix: source }),
      240_000,
    );
    assert.equal(restore.status, 'SUCCEEDED', `${restore.errorCode}: ${restore.errorMessage}`);
    for (const [file, sha] of hashes) {
      const restored = await readFile(path.join(target, path.relative(source, file)));
      assert.equal(createHash('sha256').update(restored).digest('hex'), sha, file);
    }
  });
});
