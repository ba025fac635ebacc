// Reliability: an agent killed with SIGKILL in the middle of a backup loses nothing that was
// confirmed. The job ends INTERRUPTED; when the agent is back it resumes by itself as attempt 2 on
// the dirty tape (checked first), writes only what was not confirmed, and the whole source restores
// byte for byte.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { describeTree } from '../support/tree.js';
import { allFiles, formatTape, job, startBackup, startRestore, waitForJob } from '../support/graphql-ops.js';

const AGENT = 'crashy';
const FILES = 16_000;

describe('agent killed mid-backup', { timeout: 600_000 }, () => {
  let stack: Stack;
  let source: string;
  const agentOptions = { name: AGENT, barcodes: ['CRA001L9', 'CRA002L9'] };

  before(async () => {
    stack = await startStack('crash');
    source = path.join(stack.tmp, 'many');
    for (let d = 0; d < FILES / 1000; d++) {
      await mkdir(path.join(source, `dir${d}`), { recursive: true });
      await Promise.all(Array.from({ length: 1000 }, (_, i) => writeFile(path.join(source, `dir${d}`, `f${i}.dat`), randomBytes(1024 + (i % 3000)))));
    }
    await stack.startAgent(agentOptions);
    const format = await waitForJob(stack.gql, await formatTape(stack.gql, 'CRA001L9'));
    assert.equal(format.status, 'SUCCEEDED');
  });

  after(async () => {
    await stack?.stop();
  });

  it('interrupts the job, then resumes it from the last checkpoint when the agent is back', async () => {
    const backupId = await startBackup(stack.gql, { agent: AGENT, paths: [source] });
    // Past the first checkpoint (5,000 files), before the end.
    const running = await waitFor('the first checkpoint', async () => {
      const j = await job(stack.gql, backupId);
      const pastCheckpoint = (j.progress?.filesDone ?? 0) > 6000;
      const ended = !['QUEUED', 'ASSIGNED', 'RUNNING'].includes(j.status);
      return pastCheckpoint || ended ? j : undefined;
    });
    assert.equal(running.status, 'RUNNING', 'the backup is still running when the agent is killed');
    stack.killAgent(AGENT, 'SIGKILL');
    await stack.waitForAgentOffline(AGENT);
    // The sweep marks the agent offline, then interrupts its jobs in a second step: wait for both.
    const interrupted = await waitFor(
      'the job to leave RUNNING',
      async () => {
        const j = await job(stack.gql, backupId);
        return j.status === 'RUNNING' ? undefined : j;
      },
      15_000,
    ).catch(() => job(stack.gql, backupId));
    assert.equal(interrupted.status, 'INTERRUPTED', `status after the kill: ${interrupted.status}`);

    const confirmed = await allFiles(stack.gql, { pathPrefix: source, host: AGENT, type: 'FILE' });
    assert.ok(confirmed.length > 1000 && confirmed.length < FILES, `${confirmed.length} files confirmed before the kill`);
    const firstDir = `ferrite/data/${backupId}/`;
    for (const f of confirmed)
      assert.ok(
        f.placements.every((p) => p.containerPath.startsWith(firstDir)),
        `${f.path} was written by attempt 1`,
      );

    // The agent comes back: the job resumes by itself as attempt 2, on the dirty tape (checked first).
    await stack.startAgent(agentOptions);
    const resumed = await waitFor(
      'the resumed job to finish',
      async () => {
        const r = await stack.gql.request<{ job: { status: string; attempt: number; errorCode: string | null; errorMessage: string | null } }>(
          'query($id: ID!) { job(id: $id) { status attempt errorCode errorMessage } }',
          { id: backupId },
        );
        return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.job.status) ? r.job : undefined;
      },
      300_000,
    );
    assert.equal(resumed.status, 'SUCCEEDED', `${resumed.errorCode}: ${resumed.errorMessage}`);
    assert.equal(resumed.attempt, 2);
    const log = await stack.gql.request<{ job: { events: Array<{ attempt: number; type: string; message: string }> } }>(
      'query($id: ID!) { job(id: $id) { events(limit: 5000) { attempt type message } } }',
      { id: backupId },
    );
    const attempt2 = log.job.events.filter((e) => e.attempt === 2);
    assert.ok(
      attempt2.some((e) => e.type === 'RESUMED' && /resuming from checkpoint \d+ of attempt 1/.test(e.message)),
      'the log says from which checkpoint it resumed',
    );
    assert.ok(
      attempt2.some((e) => /not unmounted cleanly/.test(e.message)),
      'the dirty volume was checked before it was written',
    );
    assert.ok(
      attempt2.some((e) => /resuming: \d+ entries of .* were confirmed by an earlier attempt/.test(e.message)),
      'the agent learnt what was confirmed',
    );

    // One version per file (no duplicates); the confirmed ones kept attempt 1's copy, only the
    // rest was written, into attempt 2's own directory.
    const after = await allFiles(stack.gql, { pathPrefix: source, host: AGENT, type: 'FILE' });
    assert.equal(after.length, FILES, 'every file once');
    assert.equal(new Set(after.map((f) => f.path)).size, FILES);
    const before = new Map(confirmed.map((f) => [f.path, f.id]));
    const secondDir = `ferrite/data/${backupId}.2/`;
    let rewritten = 0;
    for (const f of after) {
      const inSecond = f.placements.every((p) => p.containerPath.startsWith(secondDir));
      if (before.has(f.path)) {
        assert.equal(f.id, before.get(f.path), `${f.path}: the confirmed version is kept`);
        assert.ok(!inSecond, `${f.path} was confirmed, yet written again`);
      } else {
        assert.ok(inSecond, `${f.path} belongs in attempt 2's directory`);
        rewritten++;
      }
    }
    assert.equal(rewritten, FILES - confirmed.length);

    // The run counts as if the backup had run once: every file and directory, added once.
    const runs = await stack.gql.request<{
      runs: { edges: Array<{ node: { jobId: string; added: number; modified: number; deleted: number; finishedAt: string | null } }> };
    }>('query($h: String) { runs(host: $h) { edges { node { jobId added modified deleted finishedAt } } } }', { h: AGENT });
    const run = runs.runs.edges.map((e) => e.node).find((r) => r.jobId === backupId);
    assert.ok(run?.finishedAt, 'the run is finished');
    assert.deepEqual([run.added, run.modified, run.deleted], [FILES + FILES / 1000 + 1, 0, 0]);

    // Every file of the source restores byte for byte (16,000 small files: a long wait on a loaded machine).
    const target = path.join(stack.restoreRoot, 'after-crash');
    const restore = await waitForJob(
      stack.gql,
      await startRestore(stack.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: source }, targetDirectory: target, stripPrefix: source }),
      300_000,
    );
    assert.equal(restore.status, 'SUCCEEDED', `${restore.errorCode}: ${restore.errorMessage}`);
    const sourceTree = await describeTree(source);
    const restoredTree = await describeTree(target);
    const restoredFiles = [...restoredTree].filter(([, e]) => e.type === 'file');
    assert.equal(restoredFiles.length, FILES, 'every file came back');
    for (const [rel, entry] of restoredFiles) assert.equal(entry.sha256, sourceTree.get(rel)?.sha256, rel);
  });
});
