// planBackup end to end: the real agent scans a known tree (read-only) and the server answers with
// exact counts, tapes needed at the pool's generation against the tapes in the library, and the
// duration at the native rate; an INCREMENTAL plan after a backup names the one changed file. Nothing
// is written: the cartridge directories, the jobs and the runs are the same before and after. A
// backup the pool's tapes cannot hold is accepted and its log warns. Driven through GraphQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { errorCodeOf, startBackup, waitForJob } from '../support/graphql-ops.js';

const AGENT = 'planner';
const MiB = 1024 ** 2;
const CAPACITY = 64 * MiB;

interface Plan {
  level: string;
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
  writeFiles: number;
  writeBytes: number;
  unchangedEntries: number;
  unchangedBytes: number;
  deleted: number;
  roots: Array<{ path: string; level: string; baseRunId: string | null }>;
  generation: number | null;
  copies: number;
  tapeCapacityBytes: number | null;
  usableBytesPerTape: number | null;
  tapesNeededPerCopy: number;
  tapesNeeded: number;
  tapesAvailable: number;
  nativeRateBytesPerSecond: number | null;
  estimatedSeconds: number | null;
  warnings: string[];
}

const PLAN_FIELDS = `level files directories symlinks bytes writeFiles writeBytes unchangedEntries unchangedBytes deleted
  roots { path level baseRunId } generation copies tapeCapacityBytes usableBytesPerTape tapesNeededPerCopy tapesNeeded
  tapesAvailable nativeRateBytesPerSecond estimatedSeconds warnings`;

/** Every file under `dir` with its size and mtime: what "nothing was written" is checked against. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const s = await stat(p);
        out.push(`${path.relative(dir, p)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  await walk(dir);
  return out.sort();
}

describe('planBackup', { timeout: 300_000 }, () => {
  let stack: Stack;
  let big: string;
  let small: string;

  before(async () => {
    stack = await startStack('plan');
    await stack.startAgent({ name: AGENT, barcodes: ['PLN001L9', 'PLN002L9'], drives: 1, capacityBytes: CAPACITY });
    await stack.gql.request(`mutation { createPool(input: { name: "ppool", generation: 9 }) { id } }`);
    const format = await stack.gql.request<{ formatTape: { id: string } }>('mutation { formatTape(barcode: "PLN001L9", pool: "ppool") { id } }');
    assert.equal((await waitForJob(stack.gql, format.formatTape.id)).status, 'SUCCEEDED');

    big = path.join(stack.tmp, 'src', 'big');
    await mkdir(path.join(big, 'sub'), { recursive: true });
    await writeFile(path.join(big, 'a.txt'), Buffer.alloc(1000, 97));
    await writeFile(path.join(big, 'b.bin'), Buffer.alloc(2000, 98));
    await writeFile(path.join(big, 'sub', 'c.bin'), Buffer.alloc(3000, 99));
    await writeFile(path.join(big, 'sub', 'skip.tmp'), Buffer.alloc(500, 1));
    await writeFile(path.join(big, 'd.bin'), Buffer.alloc(70 * MiB, 100));

    small = path.join(stack.tmp, 'src', 'small');
    await mkdir(path.join(small, 'z'), { recursive: true });
    await writeFile(path.join(small, 'x.txt'), Buffer.alloc(100, 1));
    await writeFile(path.join(small, 'y.txt'), Buffer.alloc(200, 2));
    await writeFile(path.join(small, 'z', 'w.bin'), Buffer.alloc(5000, 3));
  });

  after(async () => {
    await stack?.stop();
  });

  const plan = (input: Record<string, unknown>) =>
    stack.gql
      .request<{ planBackup: Plan }>(`query($input: StartBackupInput!) { planBackup(input: $input) { ${PLAN_FIELDS} } }`, { input })
      .then((r) => r.planBackup);
  const jobCount = () => stack.gql.request<{ jobs: { totalCount: number } }>('{ jobs(first: 1) { totalCount } }').then((r) => r.jobs.totalCount);
  const runIds = () =>
    stack.gql
      .request<{ runs: { edges: Array<{ node: { id: string; jobId: string } }> } }>('query($h: String) { runs(host: $h) { edges { node { id jobId } } } }', {
        h: AGENT,
      })
      .then((r) => r.runs.edges.map((e) => e.node));

  it('plans a FULL backup with exact counts, tapes at the pool generation, and warns when the pool has too few tapes', async () => {
    const cartridges = path.join(stack.libraryDirOf(AGENT), 'cartridges');
    const [tapesBefore, jobsBefore] = [await snapshot(cartridges), await jobCount()];
    const p = await plan({ agent: AGENT, paths: [big], excludes: ['*.tmp'], pool: 'ppool' });
    const bytes = 1000 + 2000 + 3000 + 70 * MiB;
    assert.equal(p.level, 'FULL');
    assert.equal(p.files, 4);
    assert.equal(p.directories, 2);
    assert.equal(p.symlinks, 0);
    assert.equal(p.bytes, bytes);
    assert.equal(p.writeFiles, 4);
    assert.equal(p.writeBytes, bytes);
    assert.equal(p.unchangedEntries, 0);
    assert.deepEqual(p.roots, [{ path: big, level: 'FULL', baseRunId: null }]);
    assert.equal(p.generation, 9);
    assert.equal(p.copies, 1);
    assert.equal(p.tapeCapacityBytes, CAPACITY);
    assert.equal(p.usableBytesPerTape, Math.floor(CAPACITY * 0.97));
    assert.equal(p.tapesNeededPerCopy, 2);
    assert.equal(p.tapesNeeded, 2);
    assert.equal(p.tapesAvailable, 1);
    assert.equal(p.nativeRateBytesPerSecond, 400e6);
    assert.equal(p.estimatedSeconds, Math.ceil(bytes / 400e6));
    assert.deepEqual(p.warnings, [`the job will wait for tapes: needs 2, 1 available in pool ppool on agent ${AGENT}`]);
    // Nothing was written anywhere.
    assert.deepEqual(await snapshot(cartridges), tapesBefore);
    assert.equal(await jobCount(), jobsBefore);
    // No run either: the host is still unknown to the catalog.
    assert.equal(await errorCodeOf(runIds()), 'HOST_NOT_FOUND');
  });

  it('an INCREMENTAL plan after a backup with one file changed says that file and its bytes', async () => {
    const backup = await startBackup(stack.gql, { agent: AGENT, paths: [small], pool: 'ppool' });
    const done = await waitForJob(stack.gql, backup);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode} ${done.errorMessage}`);
    const [run] = await runIds();
    assert.equal(run.jobId, backup);

    await writeFile(path.join(small, 'y.txt'), Buffer.alloc(333, 4));
    const cartridges = path.join(stack.libraryDirOf(AGENT), 'cartridges');
    const [tapesBefore, jobsBefore] = [await snapshot(cartridges), await jobCount()];
    const p = await plan({ agent: AGENT, paths: [small], pool: 'ppool', level: 'INCREMENTAL' });
    assert.equal(p.level, 'INCREMENTAL');
    assert.equal(p.files, 3);
    assert.equal(p.directories, 2);
    assert.equal(p.bytes, 100 + 333 + 5000);
    assert.equal(p.writeFiles, 1);
    assert.equal(p.writeBytes, 333);
    assert.equal(p.unchangedBytes, 5100);
    assert.equal(p.deleted, 0);
    assert.deepEqual(p.roots, [{ path: small, level: 'INCREMENTAL', baseRunId: run.id }]);
    assert.equal(p.tapesNeededPerCopy, 1);
    assert.equal(p.tapesAvailable, 1);
    assert.deepEqual(p.warnings, []);
    // The same source as a FULL would write everything again.
    const full = await plan({ agent: AGENT, paths: [small], pool: 'ppool' });
    assert.equal(full.writeFiles, 3);
    assert.equal(full.writeBytes, 5433);
    assert.deepEqual(await snapshot(cartridges), tapesBefore);
    assert.equal(await jobCount(), jobsBefore);
    assert.deepEqual(await runIds(), [run]);
  });

  it('refuses what startBackup refuses, and a missing source, with stable codes', async () => {
    const jobsBefore = await jobCount();
    assert.equal(await errorCodeOf(plan({ agent: AGENT, paths: ['relative/path'] })), 'INVALID_PATH');
    assert.equal(await errorCodeOf(plan({ agent: AGENT, paths: [small], pool: 'nope' })), 'POOL_NOT_FOUND');
    assert.equal(await errorCodeOf(plan({ agent: 'nobody', paths: [small] })), 'AGENT_NOT_FOUND');
    assert.equal(await errorCodeOf(plan({ agent: AGENT, paths: [path.join(stack.tmp, 'src', 'missing')] })), 'BACKUP_PATH_NOT_FOUND');
    assert.equal(await jobCount(), jobsBefore);
  });

  it('startBackup accepts a source the pool cannot hold and its log warns once the agent has scanned', async () => {
    const id = await startBackup(stack.gql, { agent: AGENT, paths: [big], excludes: ['*.tmp'], pool: 'ppool' });
    const line = await waitFor(`job ${id} to warn about tapes`, async () => {
      const r = await stack.gql.request<{ job: { events: Array<{ type: string; level: string; message: string }> } }>(
        'query($id: ID!) { job(id: $id) { events { type level message } } }',
        { id },
      );
      return r.job.events.find((e) => e.type === 'TAPES_SHORT');
    });
    assert.equal(line.level, 'warn');
    assert.match(line.message, new RegExp(`^the job will wait for tapes: needs 2, 1 available in pool ppool on agent ${AGENT} \\(`));
    await stack.gql.request('mutation($id: ID!) { cancelJob(id: $id) { id } }', { id });
    assert.equal((await waitForJob(stack.gql, id)).status, 'CANCELLED');
  });

  it('an agent that is not connected is AGENT_OFFLINE', async () => {
    await stack.stopAgent(AGENT);
    await stack.waitForAgentOffline(AGENT);
    assert.equal(await errorCodeOf(plan({ agent: AGENT, paths: [small] })), 'AGENT_OFFLINE');
  });
});
