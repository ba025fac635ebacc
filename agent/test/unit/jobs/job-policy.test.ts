// The agent's own policy: which orders it refuses, after resolving symlinks and `..`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JobKind, type AssignJob } from '@ferrite/proto';
import { checkBackupPaths, checkFormat, checkRestoreTarget, enforcePolicy, resolveReal, type AgentPolicy } from '../../../src/jobs/job-policy.js';
import type { JobError } from '../../../src/jobs/job-context.js';

const deniedWith = (re: RegExp) => (err: JobError) => err.code === 'POLICY_DENIED' && re.test(err.message);

describe('agent policy', () => {
  let tmp: string;
  let policy: AgentPolicy;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-policy-'));
    await mkdir(path.join(tmp, 'data/sub'), { recursive: true });
    await mkdir(path.join(tmp, 'restores'), { recursive: true });
    await mkdir(path.join(tmp, 'secret'), { recursive: true });
    // Symlinks inside the roots that lead out of them.
    await symlink(path.join(tmp, 'secret'), path.join(tmp, 'data/out'));
    await symlink(path.join(tmp, 'secret'), path.join(tmp, 'restores/out'));
    // And one that leads in from outside.
    await symlink(path.join(tmp, 'data/sub'), path.join(tmp, 'into-data'));
    policy = { allowedBackupRoots: [path.join(tmp, 'data')], allowedRestoreRoots: [path.join(tmp, 'restores')], allowFormat: true, allowForceFormat: false };
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('backs up under its roots, following a symlink to where it leads', async () => {
    await checkBackupPaths(policy, [path.join(tmp, 'data'), path.join(tmp, 'data/sub'), path.join(tmp, 'into-data')]);
    // A path that does not exist yet is judged by its existing part (the scan then says it is missing).
    await checkBackupPaths(policy, [path.join(tmp, 'data/sub/not-yet')]);
  });

  it('refuses a backup path that leaves its roots by `..`, a symlink, a prefix or a relative path', async () => {
    // Joined by hand: path.join would take the `..` away before the check sees it.
    for (const p of [
      `${tmp}/data/../secret`,
      `${tmp}/data/sub/../../secret`,
      path.join(tmp, 'data/out'),
      path.join(tmp, 'data/out/deeper'),
      path.join(tmp, 'data-other'),
      '/root',
      '/',
      'data/sub',
    ]) {
      await assert.rejects(checkBackupPaths(policy, [path.join(tmp, 'data'), p]), deniedWith(/./), p);
    }
    // `..` after a part that does not exist: the kernel would climb from wherever that part would lead.
    await assert.rejects(checkBackupPaths(policy, [`${tmp}/data/missing/../../secret`]), deniedWith(/'\.\.'/));
  });

  it('restores under its roots only, symlinks resolved', async () => {
    await checkRestoreTarget(policy, path.join(tmp, 'restores/new/dir'));
    await assert.rejects(checkRestoreTarget(policy, path.join(tmp, 'restores/out')), deniedWith(/allowedRestoreRoots/));
    await assert.rejects(checkRestoreTarget(policy, path.join(tmp, 'restores/out/new')), deniedWith(/allowedRestoreRoots/));
    await assert.rejects(checkRestoreTarget(policy, `${tmp}/restores/../secret`), deniedWith(/allowedRestoreRoots/));
    await assert.rejects(checkRestoreTarget(policy, '/etc'), deniedWith(/allowedRestoreRoots/));
  });

  it('formats only when allowed, and with force only when that is allowed too', async () => {
    checkFormat(policy, false);
    assert.throws(() => checkFormat(policy, true), deniedWith(/allowForceFormat/));
    assert.throws(() => checkFormat({ ...policy, allowFormat: false }, false), deniedWith(/allowFormat/));
    checkFormat({ ...policy, allowForceFormat: true }, true);
  });

  it('checks each kind of order by its spec; orders that touch no host file pass', async () => {
    const order = (o: Partial<AssignJob>) => ({ jobId: 'j', attempt: 1, driveName: 'd', ...o }) as AssignJob;
    await assert.rejects(enforcePolicy(policy, order({ kind: JobKind.JOB_KIND_FORMAT, format: { barcode: 'X', force: true, pool: '' } })), deniedWith(/force/));
    await assert.rejects(enforcePolicy(policy, order({ kind: JobKind.JOB_KIND_BACKUP, backup: { paths: ['/etc'] } as never })), deniedWith(/\/etc/));
    await assert.rejects(enforcePolicy(policy, order({ kind: JobKind.JOB_KIND_RESTORE, restore: { targetDirectory: '/etc' } as never })), deniedWith(/\/etc/));
    await enforcePolicy(policy, order({ kind: JobKind.JOB_KIND_VERIFY }));
  });

  it('resolves the existing part of a path and keeps the rest', async () => {
    assert.equal(await resolveReal(path.join(tmp, 'into-data/a/b')), path.join(await resolveReal(path.join(tmp, 'data/sub')), 'a/b'));
  });
});
