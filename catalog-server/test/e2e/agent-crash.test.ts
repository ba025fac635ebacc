// Reliability: an agent killed with SIGKILL in the middle of a backup loses nothing that was
// confirmed. The job ends INTERRUPTED; every file the catalog lists is on tape and restores byte for
// byte; the tape, left dirty, is checked and written again by the next job.
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

  it('interrupts the job, keeps what was confirmed, and the tape is checked and used again', async () => {
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
    const interrupted = await waitFor('the job to leave RUNNING', async () => {
      const j = await job(stack.gql, backupId);
      return j.status === 'RUNNING' ? undefined : j;
    }, 15_000).catch(() => job(stack.gql, backupId));
    assert.equal(interrupted.status, 'INTERRUPTED', `status after the kill: ${interrupted.status}`);

    const confirmed = (await allFiles(stack.gql, { pathPrefix: source, host: AGENT, type: 'FILE' }));
    assert.ok(confirmed.length > 1000 && confirmed.length < FILES, `${confirmed.length} files confirmed before the kill`);

    // The agent comes back; the dirty tape is checked before it is written again.
    await stack.startAgent(agentOptions);
    const target = path.join(stack.restoreRoot, 'after-crash');
    const restore = await waitForJob(stack.gql, await startRestore(stack.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: source }, targetDirectory: target, stripPrefix: source }));
    assert.equal(restore.status, 'SUCCEEDED', `${restore.errorCode}: ${restore.errorMessage}`);
    const sourceTree = await describeTree(source);
    const restoredTree = await describeTree(target);
    const restoredFiles = [...restoredTree].filter(([, e]) => e.type === 'file');
    assert.equal(restoredFiles.length, confirmed.length, 'every confirmed file came back');
    for (const [rel, entry] of restoredFiles) assert.equal(entry.sha256, sourceTree.get(rel)?.sha256, rel);

    const again = await waitForJob(stack.gql, await startBackup(stack.gql, { agent: AGENT, paths: [path.join(source, 'dir0')], tape: 'CRA001L9' }));
    assert.equal(again.status, 'SUCCEEDED', `${again.errorCode}: ${again.errorMessage}`);
    // The restore only read the dirty volume; the backup had to check it before writing.
    const log = await stack.gql.request<{ job: { events: Array<{ message: string }> } }>('query($id: ID!) { job(id: $id) { events { message } } }', { id: again.id });
    assert.ok(log.job.events.some((e) => /not unmounted cleanly/.test(e.message)), 'the dirty volume was checked before it was written');
  });
});
