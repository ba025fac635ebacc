// Restores under attack, on real files: a setuid file restored without root loses the bit (and
// keeps it, with its owner, as root); a symlink swapped in for a directory or for the temporary
// file while the restore runs cannot make a write, chmod, chown or utime land outside the target;
// a `..` in an entry is refused before anything is made. The races are made deterministic: the
// swap runs inside the tape read of the file being restored (a wrapped volume), so it always
// happens after the restore opened the file's directory and before it sets mode and times.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FileType, type FileRecord, type RestoreItem, type RestoreSpec } from '@ferrite/proto';
import { openEmulatedLibrary } from '../../src/drives/emulated/index.js';
import type { MountedVolume, TapeDrive } from '../../src/drives/drive.js';
import { runFormatJob } from '../../src/jobs/format-job.js';
import { runBackupJob } from '../../src/jobs/backup-job.js';
import { runRestoreJob } from '../../src/jobs/restore-job.js';
import type { JobContext, JobError } from '../../src/jobs/job-context.js';
import { createLogger } from '../../src/logger.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import { RecordingServer, recordingJobContext, restoreItemOf } from './recording-server.js';

const asRoot = process.getuid?.() === 0;
const BARCODE = 'ATK001L9';

function specOf(records: FileRecord[], target: string, stripPrefix: string, over: (i: RestoreItem) => RestoreItem = (i) => i): RestoreSpec {
  const withData = records.filter((r) => r.type === FileType.FILE_TYPE_FILE && r.size > 0);
  const items = withData.map((r) => over(restoreItemOf(r))).sort((a, b) => a.location!.startBlock - b.location!.startBlock);
  return {
    targetDirectory: target,
    stripPrefix,
    overwrite: true,
    tapes: [{ barcode: BARCODE, items }],
    metadataItems: records.filter((r) => !withData.includes(r)).map((r) => over(restoreItemOf(r))),
    streamItems: false,
    entriesTotal: 0,
    bytesTotal: 0,
  };
}

/** A drive whose volumes run `hook(containerPath, start)` before the first byte of each read from tape. */
function withReadHook(drive: TapeDrive, hook: (containerPath: string, start: number) => Promise<void>): TapeDrive {
  return new Proxy(drive, {
    get(target, prop, receiver) {
      if (prop !== 'mount') return Reflect.get(target, prop, receiver) as unknown;
      return async (options: { readOnly: boolean }) => {
        const volume: MountedVolume = await target.mount(options);
        return new Proxy(volume, {
          get(v, p, r) {
            if (p !== 'createReadStream') return Reflect.get(v, p, r) as unknown;
            return (file: string, opts?: { start: number }) => {
              const real = (v.createReadStream as (f: string, o: unknown) => NodeJS.ReadableStream).call(v, file, opts);
              async function* delayed() {
                await hook(file, opts?.start ?? 0);
                for await (const chunk of real) yield chunk;
              }
              return Readable.from(delayed(), { objectMode: false });
            };
          },
        });
      };
    },
  });
}

describe('restores under attack', { timeout: 120_000 }, () => {
  let tmp: string;
  let source: string;
  let outside: string;
  let restores: string;
  let records: FileRecord[];
  let drive: TapeDrive;
  let ctx: (jobId: string, over?: Partial<JobContext>) => JobContext;
  let server: RecordingServer;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-restore-attacks-'));
    source = path.join(tmp, 'src');
    outside = path.join(tmp, 'outside');
    restores = path.join(tmp, 'restores');
    await mkdir(path.join(source, 'dir'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await mkdir(restores, { recursive: true });
    await writeFile(path.join(source, 'dir/victim.txt'), 'attacker wants this elsewhere');
    await writeFile(path.join(source, 'suid-tool'), '#!/bin/sh\necho hi\n');
    // chown first: it clears the setuid bit.
    if (asRoot) await chown(path.join(source, 'suid-tool'), 4321, 4322);
    await chmod(path.join(source, 'suid-tool'), 0o4755);
    await chmod(path.join(source, 'dir'), 0o777);
    const { library, drives } = await openEmulatedLibrary({
      name: 'lib',
      dir: path.join(tmp, 'lib'),
      slots: 2,
      drives: 1,
      generation: 9,
      capacityBytes: 256 * 1024 * 1024,
      barcodes: [BARCODE],
    });
    drive = drives[0];
    server = new RecordingServer();
    const config = { name: 'agent-a', hostname: 'agent-a', allowedRestoreRoots: [restores], progressIntervalMs: 10 } as AgentConfig;
    ctx = (jobId, over = {}) => ({
      ...recordingJobContext(server, { jobId, drive: over.drive ?? drive, library, config, log: createLogger('silent') }),
      ...over,
    });
    await runFormatJob(ctx('job-format'), { barcode: BARCODE, force: false, pool: '' });
    const spec = {
      barcode: BARCODE,
      paths: [source],
      excludes: [],
      smallFileThreshold: 0,
      bundleTargetBytes: 0,
      checkpointBytes: 0,
      checkpointFiles: 0,
      runId: '',
    };
    await runBackupJob(ctx('job-backup'), spec);
    records = server.files();
    // Something outside the target for an attack to reach: its mode and time must not change.
    await chmod(outside, 0o700);
    await utimes(outside, new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
  });

  after(() => rm(tmp, { recursive: true, force: true }));

  /** Whether a read from tape is of victim.txt's bytes. */
  const isVictim = (containerPath: string, start: number) => {
    const loc = records.find((r) => r.path.endsWith('/victim.txt'))!.locations[0];
    return containerPath === loc.containerPath && start === loc.offset;
  };

  const outsideUntouched = async () => {
    assert.deepEqual(await readdir(outside), [], 'nothing written outside the target');
    const st = await stat(outside);
    assert.equal(st.mode & 0o7777, 0o700, 'no chmod outside the target');
    assert.equal(st.mtime.toISOString(), '2001-01-01T00:00:00.000Z', 'no utime outside the target');
  };

  it('records ownership by number and name', () => {
    const tool = records.find((r) => r.path.endsWith('/suid-tool'))!;
    assert.equal(tool.uid, asRoot ? 4321 : process.getuid!());
    assert.equal(tool.gid, asRoot ? 4322 : process.getgid!());
    const dir = records.find((r) => r.path === path.join(source, 'dir'))!;
    assert.equal(dir.owner, os.userInfo().username, 'the name of a uid this host knows');
  });

  it('restores a setuid file without root: the bit is dropped and the job log says so once', async () => {
    const target = path.join(restores, 'as-user');
    await runRestoreJob(ctx('job-user', { asRoot: false }), specOf(records, target, source));
    const st = await stat(path.join(target, 'suid-tool'));
    assert.equal(st.mode & 0o7777, 0o755);
    const notes = server.events.filter((e) => e.jobId === 'job-user' && /setuid, setgid or sticky/.test(e.message));
    assert.equal(notes.length, 1);
    assert.match(notes[0].message, /^1 entries restored without/);
  });

  it('restores a setuid file as root with its owner and the bit; a name this host knows wins over the number', { skip: !asRoot && 'needs root' }, async () => {
    const target = path.join(restores, 'as-root');
    // The catalog says: uid 4321 on the source host, named "nobody" there; here nobody is 65534 (Debian).
    const nobody = Number((await readFile('/etc/passwd', 'utf8')).match(/^nobody:[^:]*:(\d+):/m)?.[1]);
    const renamed = (i: RestoreItem) => (i.path.endsWith('/suid-tool') ? { ...i, owner: 'nobody', group: 'no-such-group-here' } : i);
    await runRestoreJob(ctx('job-root', { asRoot: true }), specOf(records, target, source, renamed));
    const st = await stat(path.join(target, 'suid-tool'));
    assert.equal(st.mode & 0o7777, 0o4755, 'setuid kept (chmod after chown)');
    assert.equal(st.uid, nobody, 'by name');
    assert.equal(st.gid, 4322, 'by number: the group name is unknown here');
    const dir = await stat(path.join(target, 'dir'));
    assert.equal(dir.uid, 0);
  });

  it('refuses an entry with `..` before making anything', async () => {
    const target = path.join(restores, 'dotdot');
    const evil = (i: RestoreItem) => (i.path.endsWith('/victim.txt') ? { ...i, path: `${source}/dir/../../../outside/victim.txt` } : i);
    await assert.rejects(runRestoreJob(ctx('job-dotdot'), specOf(records, target, source, evil)), (err: JobError) => err.code === 'RESTORE_PATH_ESCAPES');
    await assert.rejects(lstat(target), { code: 'ENOENT' }, 'the target was not even made');
    await outsideUntouched();
  });

  it('a directory swapped for a symlink while its file is written: nothing lands outside', async () => {
    const target = path.join(restores, 'swap-dir');
    const hooked = withReadHook(drive, async (containerPath, start) => {
      if (!isVictim(containerPath, start)) return;
      // The restore has opened target/dir; the attacker moves it aside and puts a symlink in its place.
      await rename(path.join(target, 'dir'), path.join(target, 'moved-aside'));
      await symlink(outside, path.join(target, 'dir'));
    });
    await runRestoreJob(ctx('job-swap-dir', { drive: hooked }), specOf(records, target, source)).catch((err: JobError) => {
      assert.equal(err.code, 'RESTORE_INCOMPLETE', 'the directory entry itself is refused, not followed');
    });
    await outsideUntouched();
    // The bytes went where the restore's descriptor was: the directory it made, now moved aside.
    assert.equal(await readFile(path.join(target, 'moved-aside/victim.txt'), 'utf8'), 'attacker wants this elsewhere');
    assert.ok((await lstat(path.join(target, 'dir'))).isSymbolicLink(), 'the symlink was neither followed nor chmodded');
  });

  it("the temporary file swapped for a symlink: the restore does not follow it, and refuses the attacker's entry", async () => {
    const target = path.join(restores, 'swap-temp');
    const hooked = withReadHook(drive, async (containerPath, start) => {
      if (!isVictim(containerPath, start)) return;
      const dir = path.join(target, 'dir');
      const partial = (await readdir(dir)).find((n) => n.endsWith('.partial'))!;
      assert.ok(partial, 'the temporary file exists while the bytes are read');
      await rm(path.join(dir, partial));
      await symlink(path.join(outside, 'planted'), path.join(dir, partial));
    });
    await assert.rejects(runRestoreJob(ctx('job-swap-temp', { drive: hooked }), specOf(records, target, source)), (err: JobError) => {
      assert.equal(err.code, 'RESTORE_INCOMPLETE');
      assert.match(err.message, /victim\.txt.*temporary file was replaced/);
      return true;
    });
    await outsideUntouched();
  });
});
