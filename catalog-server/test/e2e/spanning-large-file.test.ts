// A file larger than a tape, end to end: a backup of about 200 MiB with one 150 MiB file to a pool
// with two copies on 64 MiB emulated cartridges. Each copy cuts the file where its own tapes end and
// goes on on its own tapes; every segment is recorded with its place in the file and its own hash.
// The restore is byte for byte (mode, mtime to the nanosecond the source had); run and tape verifies
// pass; a catalog rebuilt from the tapes in reverse order holds the same versions and segments and
// restores the file again; a byte flipped inside a segment is named, file and segment, by a verify.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import type { GraphQLClient } from 'graphql-request';
import { startStack, type Stack } from '../support/stack.js';
import { startBackup, startRestore, waitForJob, type JobView } from '../support/graphql-ops.js';

const AGENT = 'giant';
const TAPES = Array.from({ length: 12 }, (_, i) => `GNT${String(i + 1).padStart(3, '0')}L9`);
const MiB = 1024 * 1024;

interface Segment {
  barcode: string;
  segment: number;
  fileOffset: number;
  length: number;
  copy: number;
  containerPath: string;
  segmentSha256: string | null;
}
interface Version {
  path: string;
  size: number;
  mtimeNs: string;
  mode: number;
  sha256: string | null;
  placements: Segment[];
}

async function versions(gql: GraphQLClient, prefix: string): Promise<Version[]> {
  const r = await gql.request<{ files: { edges: Array<{ node: Version }> } }>(
    `query($p: String!) { files(filter: { host: "${AGENT}", pathPrefix: $p, type: FILE }, first: 500) {
       edges { node { path size mtimeNs mode sha256 placements { barcode segment fileOffset length copy containerPath segmentSha256 } } } } }`,
    { p: prefix },
  );
  return r.files.edges
    .map((e) => ({ ...e.node, placements: [...e.node.placements].sort((a, b) => a.copy - b.copy || a.segment - b.segment) }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

const succeeded = (j: JobView) => assert.equal(j.status, 'SUCCEEDED', `${j.errorCode}: ${j.errorMessage}`);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('a file larger than a tape', { timeout: 600_000 }, () => {
  let stack: Stack;
  let second: Stack | undefined;
  const source = () => path.join(stack.tmp, 'src');
  const big = () => path.join(source(), 'disk image.iso');
  const hashes = new Map<string, string>();
  let jobTapes: string[] = [];
  let bigVersion: Version;

  before(async () => {
    stack = await startStack('span-file');
    await stack.startAgent({ name: AGENT, barcodes: TAPES, drives: 2, slots: 14, capacityBytes: 64 * MiB, earlyWarningBytes: 4 * MiB });
    await stack.gql.request('mutation { createPool(input: { name: "giant", generation: 9, copies: 2 }) { id } }');
    for (const barcode of TAPES) {
      const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!) { formatTape(barcode: $b, pool: "giant") { id } }', {
        b: barcode,
      });
      succeeded(await waitForJob(stack.gql, r.formatTape.id));
    }
    await mkdir(path.join(source(), 'parts'), { recursive: true });
    const body = randomBytes(150 * MiB + 4321);
    await writeFile(big(), body);
    hashes.set(big(), sha(body));
    await chmod(big(), 0o640);
    await utimes(big(), 1_700_000_000.123456, 1_700_000_000.123456);
    for (let i = 0; i < 16; i++) {
      const part = randomBytes(3 * MiB + i);
      const file = path.join(source(), 'parts', `p${i}.bin`);
      await writeFile(file, part);
      hashes.set(file, sha(part));
    }
  });

  after(async () => {
    await second?.stop();
    await stack?.stop();
  });

  it('splits it into segments, each copy over its own tapes, and records each segment', async () => {
    const id = await startBackup(stack.gql, { agent: AGENT, paths: [source()], pool: 'giant' });
    succeeded(await waitForJob(stack.gql, id, 300_000));
    const { job } = await stack.gql.request<{ job: { tapes: string[] } }>('query($id: ID!) { job(id: $id) { tapes } }', { id });
    jobTapes = job.tapes;
    const all = await versions(stack.gql, source());
    assert.equal(all.length, hashes.size);
    for (const v of all) assert.equal(v.sha256, hashes.get(v.path), v.path);
    bigVersion = all.find((v) => v.path === big())!;
    for (const copy of [1, 2]) {
      const segs = bigVersion.placements.filter((p) => p.copy === copy);
      assert.ok(segs.length >= 3, `copy ${copy} of 150 MiB on 64 MiB tapes: ${JSON.stringify(segs)}`);
      assert.equal(new Set(segs.map((s) => s.barcode)).size, segs.length, 'one segment per tape');
      let offset = 0;
      for (const [i, s] of segs.entries()) {
        assert.equal(s.segment, i);
        assert.equal(s.fileOffset, offset, 'segments follow each other without gap or overlap');
        assert.match(s.segmentSha256 ?? '', /^[0-9a-f]{64}$/, 'each segment has its own SHA-256');
        offset += s.length;
      }
      assert.equal(offset, bigVersion.size);
    }
    const copy1 = new Set(bigVersion.placements.filter((p) => p.copy === 1).map((p) => p.barcode));
    assert.ok(
      bigVersion.placements.filter((p) => p.copy === 2).every((p) => !copy1.has(p.barcode)),
      'copy 2 is on tapes of its own',
    );
    const used = new Set(all.flatMap((v) => v.placements.filter((p) => p.copy === 1).map((p) => p.barcode)));
    assert.ok(used.size >= 4, `about 200 MiB spans at least 4 tapes per copy: ${[...used].join(', ')}`);

    // A tape that ends inside the file says so (which piece of which file), so it tells what it holds alone.
    const first = bigVersion.placements.find((p) => p.copy === 1 && p.segment === 0)!;
    const note = JSON.parse(
      await readFile(path.join(stack.libraryDirOf(AGENT), 'cartridges', first.barcode, 'volume', 'ferrite', 'manifests', `${id}-continued.json`), 'utf8'),
    );
    assert.equal(note.path, big());
    assert.equal(note.segment.segmentSha256, first.segmentSha256);
  });

  it('restores it byte for byte, with its mode and time', async () => {
    const target = path.join(stack.restoreRoot, 'giant');
    const rid = await startRestore(stack.gql, {
      agent: AGENT,
      selection: { host: AGENT, pathPrefix: source() },
      targetDirectory: target,
      stripPrefix: source(),
    });
    succeeded(await waitForJob(stack.gql, rid, 300_000));
    for (const [file, want] of hashes) assert.equal(sha(await readFile(path.join(target, path.relative(source(), file)))), want, file);
    const restored = await stat(path.join(target, path.basename(big())), { bigint: true });
    const original = await stat(big(), { bigint: true });
    assert.equal(restored.mode & 0o7777n, 0o640n);
    assert.equal(restored.mtimeNs, original.mtimeNs);
  });

  it('verifies the run and each tape holding a segment, segment by segment', async () => {
    const runs = await stack.gql.request<{ runs: { edges: Array<{ node: { id: string } }> } }>('{ runs(first: 5) { edges { node { id } } } }');
    const verify = async (input: Record<string, unknown>) =>
      (await stack.gql.request<{ startVerify: { id: string } }>('mutation($i: StartVerifyInput!) { startVerify(input: $i) { id } }', { i: input })).startVerify
        .id;
    succeeded(await waitForJob(stack.gql, await verify({ runId: runs.runs.edges[0].node.id }), 300_000));
    const third = bigVersion.placements.find((p) => p.copy === 1 && p.segment === 2)!;
    const tapeVerify = await verify({ tape: third.barcode });
    succeeded(await waitForJob(stack.gql, tapeVerify, 120_000));
    // The job's summary is its plan; what the tape read back is its last verify result.
    const { tape } = await stack.gql.request<{ tape: { lastVerifyResult: string | null } }>('query($b: String!) { tape(barcode: $b) { lastVerifyResult } }', {
      b: third.barcode,
    });
    assert.match(tape.lastVerifyResult ?? '', /^\d+ object\(s\), \d+ bytes read back: every SHA-256 matched/);
  });

  it('a catalog rebuilt from the tapes in reverse order holds the same segments and restores the file', async () => {
    const want = await versions(stack.gql, source());
    await stack.stopAgent(AGENT);
    second = await startStack('span-file-b');
    await second.startAgent({
      name: AGENT,
      barcodes: TAPES,
      drives: 2,
      slots: 14,
      libraryDir: stack.libraryDirOf(AGENT),
      capacityBytes: 64 * MiB,
      earlyWarningBytes: 4 * MiB,
    });
    for (const barcode of [...jobTapes].reverse()) {
      const r = await second.gql.request<{ rebuildCatalog: { id: string } }>('mutation($t: String!) { rebuildCatalog(input: { tape: $t }) { id } }', {
        t: barcode,
      });
      succeeded(await waitForJob(second.gql, r.rebuildCatalog.id, 120_000));
    }
    assert.deepEqual(await versions(second.gql, source()), want);
    const target = path.join(second.restoreRoot, 'rebuilt');
    const rid = await startRestore(second.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: big() }, targetDirectory: target, stripPrefix: source() });
    succeeded(await waitForJob(second.gql, rid, 300_000));
    assert.equal(sha(await readFile(path.join(target, path.basename(big())))), hashes.get(big()));
  });

  it('a byte flipped inside a segment is named, file and segment, by the verify of its tape', async () => {
    const gql = second!.gql;
    const third = bigVersion.placements.find((p) => p.copy === 1 && p.segment === 2)!;
    const onDisk = path.join(stack.libraryDirOf(AGENT), 'cartridges', third.barcode, 'volume', third.containerPath);
    const fh = await open(onDisk, 'r+');
    const at = Math.floor(third.length / 2);
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, at);
    byte[0] ^= 0xff;
    await fh.write(byte, 0, 1, at);
    await fh.close();
    const r = await gql.request<{ startVerify: { id: string } }>('mutation($t: String!) { startVerify(input: { tape: $t }) { id } }', { t: third.barcode });
    const done = await waitForJob(gql, r.startVerify.id, 120_000);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.errorCode, 'VERIFY_FAILED');
    const { job } = await gql.request<{ job: { events: Array<{ level: string; message: string }> } }>(
      'query($id: ID!) { job(id: $id) { events { level message } } }',
      {
        id: r.startVerify.id,
      },
    );
    const named = job.events.filter((e) => e.level === 'error' && e.message.includes(big()) && /segment 2 at file offset/.test(e.message));
    assert.equal(named.length, 1, job.events.map((e) => e.message).join('\n'));
  });
});
