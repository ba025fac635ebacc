// The command runner (exit codes, captured output, timeouts, missing programs, long-running
// children) and the /proc/self/mounts probe the ltfs backend waits on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ExecFileRunner } from '../../../src/drives/ltfs/command-runner.js';
import { ltfsToolError } from '../../../src/drives/ltfs/ltfs-errors.js';
import { ProcMountsProbe } from '../../../src/drives/ltfs/mount-probe.js';

describe('command runner', () => {
  it('captures stdout, stderr and the exit code of the program the bin map names', async () => {
    const runner = new ExecFileRunner({ mtx: '/bin/sh' });
    const result = await runner.run('mtx', ['-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual([result.exitCode, result.stdout, result.stderr, result.timedOut], [3, 'out\n', 'err\n', false]);
    assert.equal(result.command, '/bin/sh -c "echo out; echo err >&2; exit 3"');
  });

  it('kills a program that outlives its timeout, and reports a missing program', async () => {
    const runner = new ExecFileRunner({ mtx: '/bin/sleep', ltfsck: '/nonexistent/ltfsck' });
    const slow = await runner.run('mtx', ['5'], { timeoutMs: 100 });
    assert.equal(slow.timedOut, true);
    assert.equal(ltfsToolError('moving', slow).code, 'DRIVE_BUSY');
    const missing = await runner.run('ltfsck', ['/dev/nst0']);
    assert.equal(missing.exitCode, null);
    assert.match(missing.stderr, /ENOENT/);
    assert.match(ltfsToolError('checking', missing).message, /could not run/);
  });

  it('starts a long-running program and settles when it exits', async () => {
    const runner = new ExecFileRunner({ ltfs: '/bin/sh' });
    const child = runner.start('ltfs', ['-c', 'echo LTFS14029I Ready >&2; exit 0']);
    const result = await child.exited;
    assert.equal(result.exitCode, 0);
    assert.equal(child.hasExited, true);
    assert.match(child.output(), /LTFS14029I/);
  });
});

describe('mount probe', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ferrite-probe-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('finds a mount point in /proc/self/mounts format, octal escapes included', async () => {
    const table = path.join(dir, 'mounts');
    await writeFile(table, 'proc /proc proc rw 0 0\nltfs:/dev/nst0 /mnt/tape\\040one fuse rw,nosuid,nodev 0 0\n');
    const probe = new ProcMountsProbe(table);
    assert.equal(await probe.isMounted('/mnt/tape one'), true);
    assert.equal(await probe.isMounted('/mnt/tape'), false);
    assert.equal(await new ProcMountsProbe().isMounted('/proc'), true, 'the real table lists /proc');
  });
});
