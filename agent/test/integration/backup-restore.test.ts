// Format, back up and restore through the job handlers on an emulated library and real files:
// what the agent reports must be exactly what lies on the tape, and a restore built from those
// reports must bring back every byte, mode and mtime.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { FileType, VerifySpec, type RestoreItem, type RestoreSpec, type FileRecord } from '@ferrite/proto';
import { openEmulatedLibrary } from '../../src/drives/emulated/index.js';
import { runFormatJob } from '../../src/jobs/format-job.js';
import { runBackupJob } from '../../src/jobs/backup-job.js';
import { runRestoreJob } from '../../src/jobs/restore-job.js';
import { runVerifyJob } from '../../src/jobs/verify-job.js';
import { JobError, type JobContext } from '../../src/jobs/job-context.js';
import { createLogger } from '../../src/logger.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import { RecordingServer, recordingJobContext, restoreItemOf } from './recording-server.js';

const log = createLogger('silent');

async function describeTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const visit = async (abs: string, rel: string) => {
    const st = await lstat(abs);
    const meta = `${(st.mode & 0o7777).toString(8)} ${Math.round(st.mtimeMs)}`;
    if (st.isSymbolicLink()) out.set(rel, `link ${await readlink(abs)} ${Math.round(st.mtimeMs)}`);
    else if (st.isFile())
      out.set(
        rel,
        `file ${meta} ${createHash('sha256')
          .update(await readFile(abs))
          .digest('hex')}`,
      );
    else {
      out.set(rel, `dir ${meta}`);
      for (const n of await readdir(abs)) await visit(path.join(abs, n), `${rel}/${n}`);
    }
  };
  await visit(root, '');
  return out;
}

function restoreSpecFrom(records: FileRecord[], target: string, stripPrefix: string): RestoreSpec {
  const withData = records.filter((r) => r.type === FileType.FILE_TYPE_FILE && r.size > 0);
  const item = (r: FileRecord): RestoreItem => restoreItemOf(r);
  const items = withData.map(item).sort((a, b) => a.location!.startBlock - b.location!.startBlock || a.location!.offset - b.location!.offset);
  return {
    targetDirectory: target,
    stripPrefix,
    overwrite: false,
    tapes: [{ barcode: 'TST001L9', items }],
    metadataItems: records.filter((r) => !withData.includes(r)).map(item),
    streamItems: false,
    entriesTotal: 0,
    bytesTotal: 0,
  };
}

describe('agent jobs on an emulated library', { timeout: 120_000 }, () => {
  let tmp: string;
  let source: string;
  let ctx: (jobId: string) => JobContext;
  let server: RecordingServer;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-agent-jobs-'));
    source = path.join(tmp, 'src');
    await mkdir(path.join(source, 'a/b'), { recursive: true });
    for (let i = 0; i < 300; i++) await writeFile(path.join(source, 'a', `small ${i}.txt`), randomBytes(i * 7));
    await writeFile(path.join(source, 'a/b/big.bin'), randomBytes(3 * 1024 * 1024 + 17));
    await writeFile(path.join(source, 'new\nline "q".txt'), 'x');
    await writeFile(path.join(source, 'empty'), '');
    await chmod(path.join(source, 'empty'), 0o640);
    await symlink('a/b/big.bin', path.join(source, 'link'));
    const old = new Date('2020-01-02T03:04:05.678Z');
    await utimes(path.join(source, 'a/b'), old, old);

    const { library, drives } = await openEmulatedLibrary({
      name: 'lib',
      dir: path.join(tmp, 'lib'),
      slots: 4,
      drives: 1,
      generation: 9,
      capacityBytes: 256 * 1024 * 1024,
      barcodes: ['TST001L9'],
    });
    server = new RecordingServer();
    const config = { name: 'agent-x', hostname: 'agent-x', allowedRestoreRoots: [path.join(tmp, 'restores')], progressIntervalMs: 10 } as AgentConfig;
    ctx = (jobId) => recordingJobContext(server, { jobId, drive: drives[0], library, config, log });
    await runFormatJob(ctx('job-format'), { barcode: 'TST001L9', force: false, pool: '' });
  });

  after(() => rm(tmp, { recursive: true, force: true }));

  it('backs up with bundles, checkpoints and positions, and restores byte for byte', async () => {
    const spec = {
      barcode: 'TST001L9',
      paths: [source],
      excludes: [],
      smallFileThreshold: 64 * 1024,
      bundleTargetBytes: 512 * 1024,
      checkpointBytes: 1024 ** 3,
      checkpointFiles: 100,
      runId: '',
    };
    await runBackupJob(ctx('job-backup'), spec);
    const records = server.files();
    const srcTree = await describeTree(source);
    assert.equal(records.length, srcTree.size, 'one record per entry');
    assert.ok(server.batches.length >= 3, `checkpointed in several batches (${server.batches.length})`);
    assert.deepEqual(
      server.batches.map((b) => b.batchSeq),
      server.batches.map((_, i) => i + 1),
    );
    const big = records.find((r) => r.path.endsWith('big.bin'))!;
    assert.equal(big.locations[0].containerPath, `ferrite/data/job-backup${source}/a/b/big.bin`);
    const bundled = records.filter((r) => r.locations[0]?.containerPath.includes('/bundles/'));
    assert.ok(bundled.length >= 300);

    // The tape holds exactly what was reported: each bundle lists with tar, and the manifests carry every record.
    const volumeRoot = path.join(tmp, 'lib', 'cartridges', 'TST001L9', 'volume');
    const bundleFile = path.join(volumeRoot, bundled[0].locations[0].containerPath);
    assert.ok(execFileSync('tar', ['-tf', bundleFile], { encoding: 'utf8' }).includes(bundled[0].path.slice(1)));
    const manifests = (await readdir(path.join(volumeRoot, 'ferrite/manifests'))).filter((m) => m.endsWith('.jsonl'));
    assert.equal(manifests.length, server.batches.length);
    const lines = (await Promise.all(manifests.map((m) => readFile(path.join(volumeRoot, 'ferrite/manifests', m), 'utf8')))).join('').trim().split('\n');
    assert.equal(lines.length, records.length);

    // Positions only move forward in write order.
    const starts = bundled.map((r) => r.locations[0].startBlock);
    assert.ok(big.locations[0].startBlock > Math.max(...starts), 'large files follow the bundles');

    const target = path.join(tmp, 'restores', 'r1');
    await runRestoreJob(ctx('job-restore'), restoreSpecFrom(records, target, source));
    assert.deepEqual(await describeTree(target), srcTree);
  });

  it('verifies by reading every object back, and reports a flipped byte and a cut-short object without stopping', async () => {
    const records = server.files();
    const { tapes } = restoreSpecFrom(records, path.join(tmp, 'unused'), source);
    const ok = ctx('job-verify-ok');
    assert.match(
      await runVerifyJob(ok, VerifySpec.fromPartial({ tapes })),
      new RegExp(`^verified ${tapes[0].items.length} object\\(s\\), \\d+ bytes read back from TST001L9: every SHA-256 matched$`),
    );
    assert.deepEqual(ok.verifiedTapes, [
      { barcode: 'TST001L9', objectsChecked: tapes[0].items.length, objectsFailed: 0, bytesRead: tapes[0].items.reduce((n, i) => n + i.location!.length, 0) },
    ]);

    // Damage two objects on the tape itself: one byte of the big file, and the end of the last bundle.
    const volumeRoot = path.join(tmp, 'lib', 'cartridges', 'TST001L9', 'volume');
    const big = tapes[0].items.find((i) => i.path.endsWith('big.bin'))!;
    const bigFile = path.join(volumeRoot, big.location!.containerPath);
    const original = await readFile(bigFile);
    const flipped = Buffer.from(original);
    flipped[12345] ^= 0x01;
    await writeFile(bigFile, flipped);
    const lastBundled = tapes[0].items
      .filter((i) => i.location!.containerPath.includes('/bundles/'))
      .sort((a, b) => b.location!.offset - a.location!.offset)[0];
    const bundleFile = path.join(volumeRoot, lastBundled.location!.containerPath);
    const bundle = await readFile(bundleFile);
    await truncate(bundleFile, lastBundled.location!.offset + 1);
    try {
      const bad = ctx('job-verify-bad');
      await assert.rejects(
        runVerifyJob(bad, VerifySpec.fromPartial({ tapes })),
        (err: JobError) => err.code === 'VERIFY_FAILED' && err.message.startsWith(`2 of ${tapes[0].items.length} object(s)`),
      );
      assert.equal(bad.verifiedTapes?.[0]?.objectsFailed, 2);
      assert.equal(bad.verifiedTapes?.[0]?.objectsChecked, tapes[0].items.length, 'every object was still read');
      const errors = server.events.filter((e) => e.jobId === 'job-verify-bad' && e.level === 'error').map((e) => e.message);
      assert.ok(
        errors.some((m) => m.startsWith(big.path) && m.includes('SHA-256 mismatch')),
        errors.join('\n'),
      );
      assert.ok(
        errors.some((m) => m.startsWith(lastBundled.path) && m.includes(`only 1 of ${lastBundled.location!.length} bytes`)),
        errors.join('\n'),
      );
    } finally {
      await writeFile(bigFile, original);
      await writeFile(bundleFile, bundle);
    }
  });

  it('restores a plan whose entries come from the server page by page, tape then metadata', async () => {
    const inline = restoreSpecFrom(server.files(), path.join(tmp, 'restores', 'streamed'), source);
    const items = inline.tapes[0].items;
    const asked: string[] = [];
    const streamed = {
      ...ctx('job-restore-streamed'),
      restoreItems: async function* (barcode: string) {
        asked.push(barcode);
        const all = barcode === '' ? inline.metadataItems : items;
        for (let i = 0; i < all.length; i += 7) yield { items: all.slice(i, i + 7) };
      },
    };
    const bytes = items.reduce((n, i) => n + i.location!.length, 0);
    const spec: RestoreSpec = {
      ...inline,
      tapes: [{ barcode: 'TST001L9', items: [] }],
      metadataItems: [],
      streamItems: true,
      entriesTotal: items.length + inline.metadataItems.length,
      bytesTotal: bytes,
    };
    await runRestoreJob(streamed, spec);
    assert.deepEqual(await describeTree(inline.targetDirectory), await describeTree(source));
    // Read twice: every mapping is checked before a byte moves, then restored.
    assert.deepEqual(asked, ['TST001L9', '', 'TST001L9', '']);
    // Without a server to ask, such a spec is refused before anything is written.
    await assert.rejects(runRestoreJob(ctx('job-restore-alone'), { ...spec, targetDirectory: path.join(tmp, 'restores', 'alone') }), (err: JobError) =>
      /RestoreItems/.test(err.message),
    );
  });

  it('verifies a tape whose objects come from the server page by page', async () => {
    const { tapes } = restoreSpecFrom(server.files(), path.join(tmp, 'unused'), source);
    const items = tapes[0].items;
    const half = Math.ceil(items.length / 2);
    const streamed = {
      ...ctx('job-verify-streamed'),
      verifyItems: async function* (barcode: string) {
        assert.equal(barcode, 'TST001L9');
        yield { items: items.slice(0, half) };
        yield { items: items.slice(half) };
      },
    };
    const bytes = items.reduce((n, i) => n + i.location!.length, 0);
    const spec = VerifySpec.fromPartial({ tapes: [{ barcode: 'TST001L9', items: [] }], streamItems: true, objectsTotal: items.length, bytesTotal: bytes });
    assert.match(await runVerifyJob(streamed, spec), new RegExp(`^verified ${items.length} object\\(s\\), ${bytes} bytes read back`));
    assert.deepEqual(streamed.verifiedTapes, [{ barcode: 'TST001L9', objectsChecked: items.length, objectsFailed: 0, bytesRead: bytes }]);
    // Without a server to ask, such a spec is refused before the tape moves.
    await assert.rejects(runVerifyJob(ctx('job-verify-alone'), spec), (err: JobError) => err.code === 'INVALID_SPEC');
  });

  it('refuses a restore outside the allowed roots before touching anything', async () => {
    await assert.rejects(
      runRestoreJob(ctx('job-bad'), { ...restoreSpecFrom(server.files(), '/etc/ferrite-nope', source) }),
      (err: JobError) => err.code === 'POLICY_DENIED',
    );
  });

  it('fails a backup of a missing path before loading anything', async () => {
    await assert.rejects(
      runBackupJob(ctx('job-missing'), {
        barcode: 'TST001L9',
        paths: [path.join(tmp, 'nope')],
        excludes: [],
        smallFileThreshold: 0,
        bundleTargetBytes: 0,
        checkpointBytes: 0,
        checkpointFiles: 0,
        runId: '',
      }),
      (err: JobError) => err.code === 'BACKUP_PATH_NOT_FOUND',
    );
  });
});
