// The whole stack on the real LTFS: the agent's library is `ltfs-file` (the emulated changer, with
// cartridges that are real LTFS `file`-backend tapes of 256 MiB, formatted, mounted and checked by
// the real mkltfs, ltfs and ltfsck). A tree of bundled small files and large ones is backed up; the
// catalog holds positions LTFS itself reported; the tree restores byte for byte (content, mode,
// mtime to the nanosecond); a tape verify and a run verify pass; the tape is read with nothing but
// ltfs, tar and cp; and a catalog rebuilt from the tape on an empty database reproduces the files.
// Skipped (saying why) without LTFS and FUSE; CI sets FERRITE_REQUIRE_LTFS=1 so it cannot skip.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { startStack, type Stack } from '../support/stack.js';
import { buildSourceTree, describeTree } from '../support/tree.js';
import { allFiles, formatTape, startBackup, startRestore, waitForJob, type JobView } from '../support/graphql-ops.js';
import { realLtfsUnavailable } from '../support/real-ltfs.js';
import { mountWithLtfs, type DirectMount } from '../support/ltfs-mount.js';

const execFileAsync = promisify(execFile);
const unavailable = await realLtfsUnavailable();
const AGENT = 'ltfs-01';
const TAPE = 'LTF001L9';
const MiB = 1024 * 1024;
const BIG = 24 * MiB;

const succeeded = (j: JobView) => assert.equal(j.status, 'SUCCEEDED', `${j.kind} ${j.errorCode}: ${j.errorMessage}`);

describe('the whole stack on the real LTFS', { skip: unavailable ?? false, timeout: 600_000 }, () => {
  let stack: Stack;
  let second: Stack | undefined;
  let source: string;
  let backupId: string;
  let direct: DirectMount | undefined;
  const tapeDir = () => path.join(stack.libraryDirOf(AGENT), 'cartridges', TAPE, 'ltfs');

  before(async () => {
    stack = await startStack('real-ltfs');
    source = path.join(stack.tmp, 'source data');
    await buildSourceTree(source, { smallFiles: 150, bigFileBytes: BIG });
    await stack.startAgent({ name: AGENT, backend: 'ltfs-file', barcodes: [TAPE, 'LTF002L9'], drives: 1 });
  });

  after(async () => {
    // Never leave a FUSE mount behind, whatever failed.
    await direct?.unmount().catch(() => undefined);
    await second?.stop();
    await stack?.stop();
  });

  it('formats a tape with the real mkltfs', async () => {
    succeeded(await waitForJob(stack.gql, await formatTape(stack.gql, TAPE)));
    const tape = await stack.gql.request<{ tape: { state: string; volumeUuid: string | null } }>(`{ tape(barcode: "${TAPE}") { state volumeUuid } }`);
    assert.match(tape.tape.volumeUuid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // The cartridge is an LTFS file-backend tape of the size asked for.
    const entries = await readdir(tapeDir());
    assert.ok(entries.includes('filedebug_tc_conf.xml'), entries.join(', '));
    assert.match(await readFile(path.join(tapeDir(), 'filedebug_tc_conf.xml'), 'utf8'), /<capacity_mb>256<\/capacity_mb>/);
  });

  it('backs up bundled small files and large files, with positions from the real LTFS, and restores byte for byte', async () => {
    backupId = await startBackup(stack.gql, { agent: AGENT, paths: [source] });
    succeeded(await waitForJob(stack.gql, backupId, 300_000));
    const sourceTree = await describeTree(source);

    const files = (await allFiles(stack.gql, { host: AGENT, pathPrefix: source, type: 'FILE' })).filter((f) => f.size > 0);
    assert.ok(files.length > 150, `${files.length} files with content`);
    const bundled = files.filter((f) => f.placements[0]?.containerPath.includes('/bundles/'));
    const whole = files.filter((f) => f.placements[0] && !f.placements[0].containerPath.includes('/bundles/'));
    assert.ok(bundled.length > 100 && whole.length >= 2, `${bundled.length} bundled, ${whole.length} stored whole`);
    for (const f of files) {
      assert.equal(f.sha256, sourceTree.get(path.relative(source, f.path))?.sha256, f.path);
      assert.equal(f.placements.length, 1, f.path);
      const [p] = f.placements;
      assert.equal(p.barcode, TAPE);
      // LTFS keeps data in partition b; block 0.. of it hold the label and the first index.
      assert.equal(p.partition, 'b', `${f.path} in the data partition`);
      assert.ok(p.startBlock > 0, `${f.path} at block ${p.startBlock}`);
    }
    // Distinct containers are at distinct positions, and the big file's comes from its own xattr.
    const blocks = new Map<string, number>();
    for (const f of files) blocks.set(f.placements[0].containerPath, f.placements[0].startBlock);
    assert.equal(new Set(blocks.values()).size, blocks.size, `one start block per container: ${JSON.stringify([...blocks])}`);
    const big = whole.find((f) => f.name === 'big file.bin')!;
    const { stdout } = await runOnMountedTape(big.placements[0].containerPath);
    assert.equal(Number(stdout.trim()), big.placements[0].startBlock, 'the catalog has the start block LTFS reports');

    const target = path.join(stack.restoreRoot, 'restored');
    succeeded(
      await waitForJob(
        stack.gql,
        await startRestore(stack.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: source }, targetDirectory: target, stripPrefix: source }),
        300_000,
      ),
    );
    const restored = await describeTree(target);
    assert.deepEqual([...restored.keys()].sort(), [...sourceTree.keys()].sort());
    for (const [rel, want] of sourceTree) assert.deepEqual(restored.get(rel), want, `restored ${JSON.stringify(rel)} matches its source`);
  });

  /** Reads user.ltfs.startblock of a file on the tape, mounted read-only by plain ltfs. */
  async function runOnMountedTape(containerPath: string): Promise<{ stdout: string }> {
    // The agent keeps the cartridge in its drive, unmounted, between jobs: LTFS may open it.
    direct = await mountWithLtfs(tapeDir(), path.join(stack.tmp, 'peek'));
    try {
      return await execFileAsync('getfattr', ['-n', 'user.ltfs.startblock', '--only-values', '--absolute-names', path.join(direct.mountPoint, containerPath)]);
    } finally {
      await direct.unmount();
      direct = undefined;
    }
  }

  it('passes a whole-tape verify and a run verify, reading the real tape', async () => {
    const verify = async (input: Record<string, unknown>) =>
      (await stack.gql.request<{ startVerify: { id: string } }>('mutation($i: StartVerifyInput!) { startVerify(input: $i) { id } }', { i: input })).startVerify
        .id;
    const tapeJob = await waitForJob(stack.gql, await verify({ tape: TAPE }), 300_000);
    succeeded(tapeJob);
    assert.ok((tapeJob.progress?.filesDone ?? 0) > 100, `${tapeJob.progress?.filesDone} objects read back`);
    const tape = await stack.gql.request<{ tape: { state: string; lastVerifyResult: string | null } }>(
      `{ tape(barcode: "${TAPE}") { state lastVerifyResult } }`,
    );
    assert.equal(tape.tape.state, 'ACTIVE');
    assert.match(tape.tape.lastVerifyResult ?? '', /every SHA-256 matched/);
    const runs = await stack.gql.request<{ runs: { edges: Array<{ node: { id: string; jobId: string } }> } }>(
      '{ runs(first: 5) { edges { node { id jobId } } } }',
    );
    const run = runs.runs.edges.map((e) => e.node).find((r) => r.jobId === backupId)!;
    succeeded(await waitForJob(stack.gql, await verify({ runId: run.id }), 300_000));
  });

  it('is readable without Ferrite: plain ltfs, tar for the bundles and cp for the large files give back the source', async () => {
    // The agent must let go of the cartridge first (it unmounts at the end of each job; stopping it
    // makes sure nothing mounts it meanwhile).
    await stack.stopAgent(AGENT);
    direct = await mountWithLtfs(tapeDir(), path.join(stack.tmp, 'plain-mount'));
    const out = path.join(stack.tmp, 'without-ferrite');
    await mkdir(out, { recursive: true });
    try {
      const label = JSON.parse(await readFile(path.join(direct.mountPoint, 'FERRITE.json'), 'utf8')) as { barcode: string; format: string };
      assert.deepEqual([label.format, label.barcode], ['ferrite', TAPE]);
      const data = path.join(direct.mountPoint, 'ferrite', 'data', backupId);
      const bundles = (await readdir(path.join(data, 'bundles'))).filter((n) => n.endsWith('.tar'));
      assert.ok(bundles.length > 0, 'the backup wrote bundles');
      for (const b of bundles) await execFileAsync('tar', ['-xf', path.join(data, 'bundles', b), '-C', out]);
      // Large files are stored whole at their original absolute path below the job's directory.
      for (const entry of await readdir(data)) {
        if (entry !== 'bundles') await execFileAsync('cp', ['-r', '--', path.join(data, entry), out]);
      }
    } finally {
      await direct.unmount();
      direct = undefined;
    }
    const want = await describeTree(source);
    const got = await describeTree(path.join(out, path.relative('/', source)));
    let compared = 0;
    const linkGroups = new Set<string>();
    for (const [rel, entry] of want) {
      if (entry.type !== 'file' || entry.size === 0) continue; // no bytes on tape: only in the manifests
      if (entry.links) {
        // Hard links: one content on tape, under whichever name the backup met first.
        if (linkGroups.has(entry.links.first)) continue;
        linkGroups.add(entry.links.first);
        const names = [...want].filter(([, e]) => e.links?.first === entry.links!.first).map(([r]) => r);
        const onTape = names.filter((r) => got.get(r)?.sha256 === entry.sha256);
        assert.equal(onTape.length, 1, `one name of the hard-linked ${JSON.stringify(names)} is on the tape`);
        compared++;
        continue;
      }
      // A sparse file's object holds only its data extents; the manifest's data map places them
      // (ON-TAPE-FORMAT.md): plain cp gives back the extents, not the file with its holes.
      const st = await stat(path.join(source, rel));
      if (st.blocks * 512 < st.size) continue;
      const back = got.get(rel);
      assert.ok(back, `${JSON.stringify(rel)} is on the tape`);
      assert.equal(back.sha256, entry.sha256, rel);
      compared++;
    }
    assert.ok(compared > 150, `${compared} files compared`);
  });

  it('rebuilds the catalog from the tape on an empty database, and restores from it', async () => {
    second = await startStack('real-ltfs-rebuild');
    await second.startAgent({ name: AGENT, backend: 'ltfs-file', barcodes: [TAPE, 'LTF002L9'], drives: 1, libraryDir: stack.libraryDirOf(AGENT) });
    const rebuild = await second.gql.request<{ rebuildCatalog: { id: string } }>(`mutation { rebuildCatalog(input: { tape: "${TAPE}" }) { id } }`);
    succeeded(await waitForJob(second.gql, rebuild.rebuildCatalog.id, 300_000));
    const want = await allFiles(stack.gql, { host: AGENT, pathPrefix: source });
    const got = await allFiles(second.gql, { host: AGENT, pathPrefix: source });
    const view = (fs: typeof want) =>
      fs
        .map((f) =>
          JSON.stringify([f.path, f.type, f.size, f.mtimeNs, f.sha256, f.placements.map((p) => [p.barcode, p.partition, p.startBlock, p.containerPath])]),
        )
        .sort();
    assert.deepEqual(view(got), view(want), 'the rebuilt catalog holds the same files at the same places');

    const target = path.join(second.restoreRoot, 'from-rebuilt');
    succeeded(
      await waitForJob(
        second.gql,
        await startRestore(second.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: source }, targetDirectory: target, stripPrefix: source }),
        300_000,
      ),
    );
    const sourceTree = await describeTree(source);
    const restored = await describeTree(target);
    for (const [rel, entry] of sourceTree) assert.deepEqual(restored.get(rel), entry, `restored ${JSON.stringify(rel)} from the rebuilt catalog`);
  });
});
