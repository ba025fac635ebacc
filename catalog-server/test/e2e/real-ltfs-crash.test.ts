// An agent killed with SIGKILL in the middle of a backup on the real LTFS (agent-crash.test.ts is
// the emulated version), in the two ways it happens:
// - only the agent dies: its ltfs daemon (a child, not killed with it) lives on and keeps the volume
//   mounted. The restarted agent finds the mount on its drive's mount point and unmounts it; the old
//   LTFS writes its index and exits, the volume is clean, and the job resumes on it.
// - the machine goes down with it (agent and ltfs daemon killed): the kernel keeps a dead FUSE mount
//   and the tape has data after its last index. The restarted agent detaches the mount, LTFS refuses
//   to mount the volume (LTFS11027E), ltfsck rolls it back to its last index, and the job resumes.
// Either way the job finishes as attempt 2, nothing stays mounted, and the restore gives back every
// file. Skipped without LTFS and FUSE unless FERRITE_REQUIRE_LTFS=1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { describeTree } from '../support/tree.js';
import { allFiles, formatTape, job, startBackup, startRestore, waitForJob } from '../support/graphql-ops.js';
import { realLtfsUnavailable } from '../support/real-ltfs.js';
import { mountWithLtfs } from '../support/ltfs-mount.js';

const execFileAsync = promisify(execFile);
const unavailable = await realLtfsUnavailable();
const AGENT = 'ltfs-crash';
const TAPES = ['LCR001L9', 'LCR002L9'];
const MiB = 1024 * 1024;
/** More than one checkpoint's worth of small files (5,000 entries), so the kill comes after a confirmed one. */
const SMALL = 6000;
const LARGE = 2;

/** Process ids of ltfs daemons whose device is `tapeDir` (the daemon the dead agent started). */
async function ltfsDaemonsOf(tapeDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (/(^|\/)ltfs$/.test(argv[0] ?? '') && argv.includes(`devname=${tapeDir}`)) pids.push(Number(entry));
  }
  return pids;
}

async function mountsUnder(dir: string): Promise<string[]> {
  return (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(dir));
}

interface JobEnd {
  status: string;
  attempt: number;
  errorCode: string | null;
  errorMessage: string | null;
  events: Array<{ attempt: number; type: string; level: string; message: string }>;
}

describe('agent killed mid-backup on the real LTFS', { skip: unavailable ?? false, timeout: 600_000 }, () => {
  let stack: Stack;
  const agentOptions = { name: AGENT, backend: 'ltfs-file' as const, barcodes: TAPES, drives: 1 };
  const tapeDir = (barcode: string) => path.join(stack.libraryDirOf(AGENT), 'cartridges', barcode, 'ltfs');
  const mountRoot = () => path.join(stack.tmp, 'agents', AGENT, 'state');

  before(async () => {
    stack = await startStack('real-ltfs-crash');
    await stack.startAgent(agentOptions);
    for (const barcode of TAPES) {
      const format = await waitForJob(stack.gql, await formatTape(stack.gql, barcode));
      assert.equal(format.status, 'SUCCEEDED', `${format.errorCode}: ${format.errorMessage}`);
    }
  });

  after(async () => {
    // Whatever happened, no mount and no ltfs daemon of this test may outlive it.
    if (stack) {
      for (const m of await mountsUnder(stack.tmp)) await execFileAsync('fusermount', ['-u', '-z', m]).catch(() => undefined);
      for (const barcode of TAPES) for (const pid of await ltfsDaemonsOf(tapeDir(barcode)).catch(() => [])) process.kill(pid, 'SIGKILL');
    }
    await stack?.stop();
  });

  async function buildSource(name: string): Promise<string> {
    const source = path.join(stack.tmp, name);
    for (let d = 0; d < SMALL / 500; d++) {
      await mkdir(path.join(source, `dir${d}`), { recursive: true });
      await Promise.all(Array.from({ length: 500 }, (_, i) => writeFile(path.join(source, `dir${d}`, `f${i}.dat`), randomBytes(200 + ((i * 37) % 1500)))));
    }
    // Large files are written after the small ones: the kill lands while they are written.
    await mkdir(path.join(source, 'large'), { recursive: true });
    for (let i = 0; i < LARGE; i++) {
      const out = createWriteStream(path.join(source, 'large', `l${i}.bin`));
      for (let n = 0; n < 60; n++) if (!out.write(randomBytes(MiB))) await once(out, 'drain');
      out.end();
      await once(out, 'finish');
    }
    return source;
  }

  /** Starts a backup of `source` to `tape`, kills the agent (and with `machineDown` its LTFS) once
   *  a checkpoint is confirmed, restarts it and returns the job once attempt 2 has ended. */
  async function crashAndResume(source: string, tape: string, machineDown: boolean): Promise<JobEnd & { id: string }> {
    const backupId = await startBackup(stack.gql, { agent: AGENT, paths: [source], tape });
    // Killed once the second large file is being written, after the checkpoint of the small files:
    // the first one (60 MiB, more than LTFS keeps in its write cache) is on tape after the last
    // index, what a crash leaves behind.
    const onTape = path.join(mountRoot(), 'ltfs-file', `${AGENT}-lib`, 'mnt', 'drive0', 'ferrite', 'data', backupId, source, 'large', 'l1.bin');
    const running = await waitFor(
      'the first large file to be written',
      async () => {
        const j = await job(stack.gql, backupId);
        if (!['QUEUED', 'ASSIGNED', 'RUNNING'].includes(j.status)) return j;
        const size = await stat(onTape).then(
          (st) => st.size,
          () => 0,
        );
        return (j.progress?.filesDone ?? 0) > 5000 && size > 0 ? j : undefined;
      },
      60_000,
      20,
    );
    assert.equal(running.status, 'RUNNING', 'the backup is still running when the agent is killed');
    stack.killAgent(AGENT, 'SIGKILL');
    const daemons = await waitFor('the dead agent to leave its ltfs daemon', () => ltfsDaemonsOf(tapeDir(tape)).then((p) => p.length > 0 && p), 5_000);
    assert.equal(daemons.length, 1, 'LTFS is the agent child, not killed with it');
    if (machineDown) for (const pid of daemons) process.kill(pid, 'SIGKILL');
    assert.equal((await mountsUnder(mountRoot())).length, 1, 'the volume is still mounted (a live or a dead FUSE mount)');

    await stack.waitForAgentOffline(AGENT);
    const interrupted = await waitFor(
      'the job to leave RUNNING',
      async () => {
        const j = await job(stack.gql, backupId);
        return j.status === 'RUNNING' ? undefined : j;
      },
      15_000,
    );
    assert.equal(interrupted.status, 'INTERRUPTED');
    const confirmed = await allFiles(stack.gql, { pathPrefix: source, host: AGENT, type: 'FILE' });
    assert.ok(confirmed.length > 4000 && confirmed.length < SMALL + LARGE, `${confirmed.length} files confirmed before the kill`);

    await stack.startAgent(agentOptions);
    const end = await waitFor(
      'the resumed job to finish',
      async () => {
        const r = await stack.gql.request<{ job: JobEnd }>(
          'query($id: ID!) { job(id: $id) { status attempt errorCode errorMessage events(limit: 5000) { attempt type level message } } }',
          { id: backupId },
        );
        return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.job.status) ? r.job : undefined;
      },
      300_000,
    );
    const log = end.events.map((e) => `${e.attempt} ${e.level} ${e.type} ${e.message}`).join('\n');
    assert.equal(end.status, 'SUCCEEDED', `${end.errorCode}: ${end.errorMessage}\n${log}`);
    assert.equal(end.attempt, 2);
    assert.ok(
      end.events.some((e) => e.attempt === 2 && /resuming: \d+ entries of .* were confirmed by an earlier attempt/.test(e.message)),
      log,
    );
    assert.deepEqual(await mountsUnder(mountRoot()), [], 'nothing left mounted');
    assert.deepEqual(await ltfsDaemonsOf(tapeDir(tape)), [], 'no ltfs daemon left running');
    await restoresByteForByte(source);
    return { ...end, id: backupId };
  }

  async function restoresByteForByte(source: string): Promise<void> {
    const target = path.join(stack.restoreRoot, path.basename(source));
    const restore = await waitForJob(
      stack.gql,
      await startRestore(stack.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: source }, targetDirectory: target, stripPrefix: source }),
      300_000,
    );
    assert.equal(restore.status, 'SUCCEEDED', `${restore.errorCode}: ${restore.errorMessage}`);
    const want = await describeTree(source);
    const got = await describeTree(target);
    const files = [...want].filter(([, e]) => e.type === 'file');
    assert.equal(files.length, SMALL + LARGE);
    for (const [rel, entry] of files) assert.equal(got.get(rel)?.sha256, entry.sha256, rel);
  }

  it('agent killed, its LTFS alive: the leftover mount is released with its index written, and the job resumes', async () => {
    const source = await buildSource('agent-only');
    const end = await crashAndResume(source, TAPES[0], false);
    // The old LTFS wrote its index when the mount was released: no repair was needed, and the index
    // keeps the part of the large file attempt 1 had written (attempt 2 wrote it whole elsewhere).
    assert.ok(!end.events.some((e) => /not unmounted cleanly/.test(e.message)), end.events.map((e) => e.message).join('\n'));
    const partial = await sizeOnTape(TAPES[0], path.join('ferrite', 'data', end.id, source, 'large', 'l0.bin'));
    assert.ok(partial !== null && partial > 0, `attempt 1's piece of l0.bin is in the index written at release (${partial})`);
  });

  it('agent and LTFS killed (the machine went down): the dead mount is detached, the volume goes back to its last index (by LTFS or ltfsck), and the job resumes', async () => {
    const source = await buildSource('machine-down');
    const end = await crashAndResume(source, TAPES[1], true);
    // What real LTFS does with such a volume depends on where the crash left the tape (see the
    // agent README, "Real LTFS: what we found"): it may repair it at the next mount by itself,
    // refuse to mount it (LTFS11027E, ltfsck repairs it), or find its end of data missing
    // (LTFS17146E, the agent puts it back and runs ltfsck). Whichever it was, the volume went back
    // to its last index before attempt 2 wrote to it.
    const checked = end.events.some((e) => e.attempt === 2 && /volume in drive0 was not unmounted cleanly: checking it before use/.test(e.message));
    console.log(`machine down: ${checked ? 'ltfsck repaired the volume' : 'LTFS mounted the volume without ltfsck'}`);
    // Back to the last index: what attempt 1 wrote after it is not in the volume's index.
    assert.equal(await sizeOnTape(TAPES[1], path.join('ferrite', 'data', end.id, source, 'large', 'l0.bin')), null);
  });

  /** Size of a file on the tape as plain ltfs sees it (null: not in the index). */
  async function sizeOnTape(barcode: string, relPath: string): Promise<number | null> {
    const mount = await mountWithLtfs(tapeDir(barcode), path.join(stack.tmp, `peek-${barcode}`));
    try {
      return await stat(path.join(mount.mountPoint, relPath)).then(
        (st) => st.size,
        () => null,
      );
    } finally {
      await mount.unmount();
    }
  }
});
