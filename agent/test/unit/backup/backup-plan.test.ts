// A backup plan on the agent: the real scan of a temporary tree, the base a fake (what the server's
// PlanBase would stream). Exact counts, what an INCREMENTAL would write, and the refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileType, IncrementalLevel, type IncrementalBaseResponse, type PlanBackup } from '@ferrite/proto';
import { computeBackupPlan, PlanError } from '../../../src/backup/backup-plan.js';
import { sortForDiff } from '../../../src/backup/base-diff.js';
import type { BaseSource } from '../../../src/backup/base-source.js';
import { scanSources, type SourceEntry } from '../../../src/backup/source-scan.js';

async function tree(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ferrite-plan-'));
  await mkdir(path.join(root, 'a/b'), { recursive: true });
  await writeFile(path.join(root, 'a/one.txt'), 'x'.repeat(100));
  await writeFile(path.join(root, 'a/b/two.bin'), Buffer.alloc(2000, 1));
  await writeFile(path.join(root, 'empty'), '');
  await writeFile(path.join(root, 'skip.tmp'), 'y'.repeat(50));
  await symlink('a/one.txt', path.join(root, 'link'));
  return root;
}

const command = (paths: string[], level = IncrementalLevel.INCREMENTAL_LEVEL_FULL): PlanBackup => ({
  requestId: 'r1',
  paths,
  excludes: ['*.tmp'],
  level,
  compareContent: false,
  pool: '',
  deadlineMs: 10_000,
});

const noBase: BaseSource = () => (async function* () {})();

/** The base a server would stream after a backup that saw `entries`. */
function baseFrom(entries: SourceEntry[]): BaseSource {
  return () =>
    (async function* (): AsyncGenerator<IncrementalBaseResponse> {
      yield {
        baseRunId: 'run-1',
        level: IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL,
        note: 'compared with run-1',
        entries: sortForDiff(entries).map((e) => ({
          path: e.path,
          type: e.type === 'file' ? FileType.FILE_TYPE_FILE : e.type === 'directory' ? FileType.FILE_TYPE_DIRECTORY : FileType.FILE_TYPE_SYMLINK,
          size: e.size,
          mtimeMs: e.mtimeMs,
          mtimeNanos: e.mtimeNanos,
          ctimeMs: e.ctimeMs,
          inode: e.inode,
          mode: e.mode,
          sha256: Buffer.alloc(32, 7),
          symlinkTarget: e.symlinkTarget,
          contentSufficient: false,
          confirmed: false,
        })),
      };
    })();
}

test('a FULL plan counts files, directories, symlinks and bytes after excludes, and writes every non-empty file', async () => {
  const root = await tree();
  try {
    const plan = await computeBackupPlan(command([root]), noBase, new AbortController().signal);
    assert.equal(plan.files, 3);
    assert.equal(plan.directories, 3);
    assert.equal(plan.symlinks, 1);
    assert.equal(plan.bytes, 2100);
    assert.equal(plan.writeFiles, 2);
    assert.equal(plan.writeBytes, 2100);
    assert.equal(plan.unchangedEntries, 0);
    assert.equal(plan.issues, 0);
    assert.deepEqual(plan.roots, [{ root, level: IncrementalLevel.INCREMENTAL_LEVEL_FULL, baseRunId: '', note: '' }]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('an INCREMENTAL plan after a backup with one file changed writes that file only', async () => {
  const root = await tree();
  try {
    const before = await scanSources([root], ['*.tmp'], () => {});
    await writeFile(path.join(root, 'a/one.txt'), 'z'.repeat(123));
    const plan = await computeBackupPlan(command([root], IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL), baseFrom(before), new AbortController().signal);
    assert.equal(plan.writeFiles, 1);
    assert.equal(plan.writeBytes, 123);
    assert.equal(plan.bytes, 2123);
    assert.equal(plan.unchangedBytes, 2000);
    // The directory a/ changed (its mtime), one.txt changed; the rest is unchanged.
    assert.equal(plan.deleted, 0);
    assert.equal(plan.roots[0].baseRunId, 'run-1');
    assert.equal(plan.roots[0].note, 'compared with run-1');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a missing source is BACKUP_PATH_NOT_FOUND; an aborted plan is PLAN_TIMEOUT', async () => {
  await assert.rejects(computeBackupPlan(command(['/nonexistent/ferrite-plan']), noBase, new AbortController().signal), (err: unknown) => {
    return err instanceof PlanError && err.code === 'BACKUP_PATH_NOT_FOUND';
  });
  const root = await tree();
  try {
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(computeBackupPlan(command([root]), noBase, aborted.signal), (err: unknown) => err instanceof PlanError && err.code === 'PLAN_TIMEOUT');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
