// Incrementals end to end, through GraphQL only: a FULL backup, changes to the tree (modify, delete,
// add, rename, touch without change), an INCREMENTAL that writes only what changed, then restores
// "as of" each run, compared byte for byte (and mode, mtime, link target) with the tree as it was.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { describeTree, type EntryDescription } from '../support/tree.js';
import { formatTape, startBackup, startRestore, waitForJob, type RunView } from '../support/graphql-ops.js';

const AGENT = 'incr-01';

describe('incremental backup and restore as of a run', { timeout: 600_000 }, () => {
  let stack: Stack;
  let source: string;
  let fullTree: Map<string, EntryDescription>;
  let incrTree: Map<string, EntryDescription>;
  let fullRun: RunView;
  let incrRun: RunView;

  before(async () => {
    stack = await startStack('incremental');
    source = path.join(stack.tmp, 'src');
    await mkdir(path.join(source, 'docs/old'), { recursive: true });
    await mkdir(path.join(source, 'media'), { recursive: true });
    await writeFile(path.join(source, 'docs/a.txt'), 'version one of a\n');
    await writeFile(path.join(source, 'docs/b.txt'), 'b will be deleted\n');
    await writeFile(path.join(source, 'docs/old/name.txt'), 'renamed later\n');
    await writeFile(path.join(source, 'docs/touched.txt'), 'same bytes, new time\n');
    await writeFile(path.join(source, 'media/big.bin'), randomBytes(3 * 1024 * 1024));
    await symlink('docs/a.txt', path.join(source, 'link'));
    await stack.startAgent({ name: AGENT, barcodes: ['INC001L9'] });
    assert.equal((await waitForJob(stack.gql, await formatTape(stack.gql, 'INC001L9'))).status, 'SUCCEEDED');
  });

  after(async () => {
    await stack?.stop();
  });

  // The counts land with finishedAt, just after the job turns SUCCEEDED: wait for them.
  const runOfJob = (jobId: string): Promise<RunView> =>
    waitFor(`the run of job ${jobId} to be counted`, async () => {
      const r = await stack.gql.request<{ runs: { edges: Array<{ node: RunView & { finishedAt: string | null } }> } }>(
        'query($h: String) { runs(host: $h, first: 100) { edges { node { id jobId level baseRunId added modified deleted unchanged finishedAt } } } }',
        { h: AGENT },
      );
      const run = r.runs.edges.map((e) => e.node).find((n) => n.jobId === jobId);
      return run?.finishedAt ? run : undefined;
    });

  it('a FULL backup, then an INCREMENTAL that records only the changes', async () => {
    const fullJob = await startBackup(stack.gql, { agent: AGENT, paths: [source], level: 'FULL' });
    assert.equal((await waitForJob(stack.gql, fullJob, 300_000)).status, 'SUCCEEDED');
    fullTree = await describeTree(source);
    fullRun = await runOfJob(fullJob);
    assert.equal(fullRun.added, fullTree.size);

    await writeFile(path.join(source, 'docs/a.txt'), 'version two of a, longer\n');
    await rm(path.join(source, 'docs/b.txt'));
    await rename(path.join(source, 'docs/old/name.txt'), path.join(source, 'docs/new-name.txt'));
    await writeFile(path.join(source, 'docs/new.txt'), 'added after the full backup\n');
    const later = new Date(Date.now() + 60_000);
    await utimes(path.join(source, 'docs/touched.txt'), later, later);
    incrTree = await describeTree(source);

    const incrJob = await startBackup(stack.gql, { agent: AGENT, paths: [source], level: 'INCREMENTAL', compareContent: true });
    const done = await waitForJob(stack.gql, incrJob, 300_000);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode}: ${done.errorMessage}`);
    // Only the new and changed small files were read and written; big.bin was not.
    assert.ok((done.progress?.bytesTotal ?? Infinity) < 1024, `bytes written by the incremental: ${done.progress?.bytesTotal}`);
    incrRun = await runOfJob(incrJob);
    assert.equal(incrRun.level, 'INCREMENTAL');
    assert.equal(incrRun.baseRunId, fullRun.id);
    // added: new.txt, new-name.txt; modified: a.txt; deleted: b.txt, old/name.txt.
    assert.deepEqual([incrRun.added, incrRun.modified, incrRun.deleted], [2, 1, 2]);
    assert.equal(incrRun.unchanged, fullTree.size - 1 - 2);

    const changes = await stack.gql.request<{ runChanges: { edges: Array<{ node: { kind: string; path: string } }> } }>(
      'query($r: ID!) { runChanges(runId: $r) { edges { node { kind path } } } }',
      { r: incrRun.id },
    );
    assert.deepEqual(changes.runChanges.edges.map((e) => `${e.node.kind} ${path.relative(source, e.node.path)}`).sort(), [
      'ADDED docs/new-name.txt',
      'ADDED docs/new.txt',
      'DELETED docs/b.txt',
      'DELETED docs/old/name.txt',
      'MODIFIED docs/a.txt',
    ]);
  });

  it('browses a directory as of each run', async () => {
    const names = async (asOf: string) =>
      (
        await stack.gql.request<{ directory: { edges: Array<{ node: { name: string } }> } }>(
          'query($h: String!, $p: String!, $a: String) { directory(host: $h, path: $p, asOf: $a) { edges { node { name } } } }',
          { h: AGENT, p: path.join(source, 'docs'), a: asOf },
        )
      ).directory.edges.map((e) => e.node.name);
    assert.deepEqual(await names(fullRun.id), ['a.txt', 'b.txt', 'old', 'touched.txt']);
    assert.deepEqual(await names(incrRun.id), ['a.txt', 'new-name.txt', 'new.txt', 'old', 'touched.txt']);
  });

  for (const which of ['full', 'incremental'] as const) {
    it(`restores the tree as of the ${which} run, byte for byte`, async () => {
      const run = which === 'full' ? fullRun : incrRun;
      const want = which === 'full' ? fullTree : incrTree;
      const target = path.join(stack.restoreRoot, `as-of-${which}`);
      const id = await startRestore(stack.gql, {
        agent: AGENT,
        selection: { host: AGENT, pathPrefix: source, asOf: run.id },
        targetDirectory: target,
        stripPrefix: source,
      });
      const restore = await waitForJob(stack.gql, id, 300_000);
      assert.equal(restore.status, 'SUCCEEDED', `${restore.errorCode}: ${restore.errorMessage}`);
      const got = await describeTree(target);
      assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
      for (const [rel, entry] of want) assert.deepEqual(got.get(rel), entry, `restored ${rel} as of the ${which} run`);
    });
  }
});
