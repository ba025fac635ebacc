// Every file as it was (issue 16): backs up real files with extended attributes and POSIX ACLs
// through the job handlers on an emulated library, and restores them from the reported records;
// what getfattr and getfacl show afterwards must be what they showed of the source. Needs the
// attr and acl tools (getfattr, setfattr, setfacl, getfacl) and root for trusted.* and security.*.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { FileType, type FileRecord, type RestoreSpec } from '@ferrite/proto';
import { openEmulatedLibrary } from '../../src/drives/emulated/index.js';
import { runFormatJob } from '../../src/jobs/format-job.js';
import { runBackupJob } from '../../src/jobs/backup-job.js';
import { runRestoreJob } from '../../src/jobs/restore-job.js';
import { JobError, type JobContext } from '../../src/jobs/job-context.js';
import { createLogger } from '../../src/logger.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import { RecordingServer, recordingJobContext, restoreItemOf } from './recording-server.js';

const log = createLogger('silent');
const BARCODE = 'ATT001L9';

/** getfattr's dump of one entry without its "# file:" line: what the file system holds, by name. */
function xattrDump(p: string): string {
  const out = execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', p], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l && !l.startsWith('# file:'))
    .join('\n');
}

function aclOf(p: string): string {
  return execFileSync('getfacl', ['-p', '-c', '-n', p], { encoding: 'utf8' });
}

function restoreSpecFrom(records: FileRecord[], target: string, stripPrefix: string): RestoreSpec {
  const withData = records.filter((r) => r.type === FileType.FILE_TYPE_FILE && r.size > 0);
  const items = withData
    .map((r) => restoreItemOf(r))
    .sort((a, b) => a.location!.startBlock - b.location!.startBlock || a.location!.offset - b.location!.offset);
  return {
    targetDirectory: target,
    stripPrefix,
    overwrite: false,
    tapes: [{ barcode: BARCODE, items }],
    metadataItems: records.filter((r) => !withData.includes(r)).map((r) => restoreItemOf(r)),
    streamItems: false,
    entriesTotal: 0,
    bytesTotal: 0,
  };
}

describe('extended attributes and ACLs: backup and restore on real files', { timeout: 120_000 }, () => {
  let tmp: string;
  let source: string;
  let ctx: (jobId: string) => JobContext;
  let server: RecordingServer;
  let records: FileRecord[];
  /** Entries whose attributes the test set, relative to source. */
  const withAttributes = ['bundled.txt', 'large.bin', 'empty', 'acl-file', 'dir', 'dir/inner.txt', 'link', 'odd\nname = x'];

  before(async () => {
    // tmpfs takes more than ext4's 4 KiB of attributes per file: the over-the-limit file needs it.
    const base = await mkdtemp(path.join('/dev/shm', 'ferrite-attrs-')).catch(() => mkdtemp(path.join(os.tmpdir(), 'ferrite-attrs-')));
    tmp = base;
    source = path.join(tmp, 'src');
    await mkdir(path.join(source, 'dir'), { recursive: true });
    await writeFile(path.join(source, 'bundled.txt'), 'small');
    await writeFile(path.join(source, 'large.bin'), randomBytes(2 * 1024 * 1024));
    await writeFile(path.join(source, 'empty'), '');
    await writeFile(path.join(source, 'acl-file'), 'acl');
    await writeFile(path.join(source, 'dir/inner.txt'), 'inner');
    await writeFile(path.join(source, 'odd\nname = x'), 'odd');
    await writeFile(path.join(source, 'plain.txt'), 'no attributes');
    await writeFile(path.join(source, 'too-many'), 'over the limit');
    await symlink('bundled.txt', path.join(source, 'link'));
    const set = (rel: string, name: string, value: string) => execFileSync('setfattr', ['-h', '-n', name, '-v', value, path.join(source, rel)]);
    set('bundled.txt', 'user.origin', 'scanner 7');
    set('bundled.txt', 'user.binary', '0x00ff0a3d');
    set('bundled.txt', 'trusted.secret', 'root only');
    set('bundled.txt', 'security.label', 'lbl');
    set('large.bin', 'user.checksum', 'abc');
    set('empty', 'user.empty-value', '');
    set('odd\nname = x', 'user.a=b c', 'v');
    set('dir/inner.txt', 'user.inner', '1');
    set('link', 'trusted.on-the-link', 'itself');
    execFileSync('setfacl', ['-m', 'u:1000:rw,g:100:r', path.join(source, 'acl-file')]);
    execFileSync('setfacl', ['-m', 'u:1001:rx', '-d', '-m', 'g:100:rx', path.join(source, 'dir')]);
    set('dir', 'user.dir', 'd');
    for (let i = 0; i < 5; i++) set('too-many', `user.v${i}`, `0s${randomBytes(15_000).toString('base64')}`);

    const { library, drives } = await openEmulatedLibrary({
      name: 'lib',
      dir: path.join(tmp, 'lib'),
      slots: 2,
      drives: 1,
      generation: 9,
      capacityBytes: 256 * 1024 * 1024,
      barcodes: [BARCODE],
    });
    server = new RecordingServer();
    const config = { name: 'agent-x', hostname: 'agent-x', allowedRestoreRoots: [path.join(tmp, 'restores')], progressIntervalMs: 10 } as AgentConfig;
    ctx = (jobId) => recordingJobContext(server, { jobId, drive: drives[0], library, config, log });
    await runFormatJob(ctx('job-format'), { barcode: BARCODE, force: false, pool: '' });
    const spec = {
      barcode: BARCODE,
      paths: [source],
      excludes: [],
      smallFileThreshold: 64 * 1024,
      bundleTargetBytes: 0,
      checkpointBytes: 0,
      checkpointFiles: 0,
      runId: '',
    };
    await runBackupJob(ctx('job-backup'), spec);
    records = server.files();
  });

  after(() => rm(tmp, { recursive: true, force: true }));

  it('records each entry with its attributes, ACLs as system.posix_acl_*, and nothing for plain entries', () => {
    const of = (rel: string) => records.find((r) => r.path === path.join(source, rel))!;
    assert.deepEqual(
      of('bundled.txt')
        .xattrs.map((x) => [x.name, Buffer.from(x.value).toString('hex')])
        .sort(),
      [
        ['security.label', Buffer.from('lbl').toString('hex')],
        ['trusted.secret', Buffer.from('root only').toString('hex')],
        ['user.binary', '00ff0a3d'],
        ['user.origin', Buffer.from('scanner 7').toString('hex')],
      ],
    );
    assert.deepEqual(
      of('acl-file').xattrs.map((x) => x.name),
      ['system.posix_acl_access'],
    );
    assert.deepEqual(
      of('dir')
        .xattrs.map((x) => x.name)
        .sort(),
      ['system.posix_acl_access', 'system.posix_acl_default', 'user.dir'],
    );
    assert.deepEqual(of('empty').xattrs, [{ name: 'user.empty-value', value: Buffer.alloc(0) }]);
    assert.deepEqual(of('plain.txt').xattrs, []);
    assert.deepEqual(
      of('link').xattrs.map((x) => x.name),
      ['trusted.on-the-link'],
    );
  });

  it('an entry over the 64 KiB limit is recorded without them and named in the log, and the job succeeds', () => {
    const over = records.find((r) => r.path === path.join(source, 'too-many'));
    assert.ok(over, 'the file itself is recorded');
    assert.deepEqual(over.xattrs, []);
    assert.ok(
      server.events.some((e) => e.path === over.path && /over the limit of 65536; recorded without them/.test(e.message)),
      'the log names the file',
    );
  });

  it('restores every attribute and ACL exactly as getfattr and getfacl show them', async () => {
    const target = path.join(tmp, 'restores', 'r1');
    await runRestoreJob(ctx('job-restore'), restoreSpecFrom(records, target, source));
    for (const rel of [...withAttributes, 'plain.txt']) {
      assert.equal(xattrDump(path.join(target, rel)), xattrDump(path.join(source, rel)), rel);
      if (rel !== 'link') assert.equal(aclOf(path.join(target, rel)), aclOf(path.join(source, rel)), rel);
    }
    assert.match(aclOf(path.join(target, 'dir')), /default:group:100:r-x/);
    // The default ACL came last: a file restored into the directory did not inherit it.
    assert.equal(aclOf(path.join(target, 'dir/inner.txt')), aclOf(path.join(source, 'dir/inner.txt')));
  });

  it('a target file system without extended attributes: each such entry is reported, the others restored, the job RESTORE_INCOMPLETE', async (t) => {
    const target = path.join(tmp, 'restores', 'ramfs');
    await mkdir(target, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'ramfs', 'ramfs', target], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount ramfs here (needs root)');
      return;
    }
    try {
      await assert.rejects(
        runRestoreJob(ctx('job-restore-ramfs'), restoreSpecFrom(records, target, source)),
        (err: JobError) => err.code === 'RESTORE_INCOMPLETE',
      );
      const failed = server.events.filter((e) => e.jobId === 'job-restore-ramfs' && e.level === 'error').map((e) => e.path);
      assert.deepEqual(failed.sort(), withAttributes.map((rel) => path.join(source, rel)).sort());
      assert.ok(server.events.some((e) => e.jobId === 'job-restore-ramfs' && /Operation not supported/.test(e.message)));
      // The bytes are there all the same.
      assert.equal(execFileSync('cat', [path.join(target, 'dir/inner.txt')], { encoding: 'utf8' }), 'inner');
    } finally {
      execFileSync('umount', [target]);
    }
  });
});
