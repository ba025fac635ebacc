// A backup larger than one cartridge on the real LTFS: 256 MiB `file`-backend tapes (about 237 MiB
// of data each), ~300 MiB of source with one 120 MiB file. The agent must reach its early-warning
// point (from LTFS's own space xattrs) before LTFS answers ENOSPC, confirm what it wrote, and go on
// on the next tape of the pool; the restore gives back every byte. Skipped without LTFS and FUSE
// unless FERRITE_REQUIRE_LTFS=1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { startStack, type Stack } from '../support/stack.js';
import { describeTree } from '../support/tree.js';
import { allFiles, startBackup, startRestore, waitForJob, type JobView } from '../support/graphql-ops.js';
import { realLtfsUnavailable } from '../support/real-ltfs.js';

const unavailable = await realLtfsUnavailable();
const AGENT = 'ltfs-span';
const TAPES = ['LSP001L9', 'LSP002L9', 'LSP003L9'];
const MiB = 1024 * 1024;

const succeeded = (j: JobView) => assert.equal(j.status, 'SUCCEEDED', `${j.kind} ${j.errorCode}: ${j.errorMessage}`);

async function randomFile(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  for (let done = 0; done < bytes; done += MiB) if (!out.write(randomBytes(Math.min(MiB, bytes - done)))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

describe('a backup spanning real LTFS cartridges', { skip: unavailable ?? false, timeout: 600_000 }, () => {
  let stack: Stack;
  let source: string;

  before(async () => {
    stack = await startStack('real-ltfs-span');
    source = path.join(stack.tmp, 'big');
    await mkdir(path.join(source, 'small'), { recursive: true });
    // 120 MiB first (it fits the first tape), then 19 files of 9 MiB: about 291 MiB in all, so the
    // first tape fills up in the middle of the 9 MiB files (one of them is cut across the tapes).
    await randomFile(path.join(source, 'a-large.bin'), 120 * MiB);
    for (let i = 0; i < 19; i++) await randomFile(path.join(source, `b-part-${String(i).padStart(2, '0')}.bin`), 9 * MiB + i);
    for (let i = 0; i < 40; i++) await writeFile(path.join(source, 'small', `s${i}.txt`), randomBytes(100 + i * 37));
    await stack.startAgent({ name: AGENT, backend: 'ltfs-file', barcodes: TAPES, drives: 1 });
    await stack.gql.request(`mutation { createPool(input: { name: "span", generation: 9 }) { id } }`);
    for (const barcode of TAPES.slice(0, 2)) {
      const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!) { formatTape(barcode: $b, pool: "span") { id } }', {
        b: barcode,
      });
      succeeded(await waitForJob(stack.gql, r.formatTape.id));
    }
  });

  after(async () => {
    await stack?.stop();
  });

  it('continues on the next cartridge at early warning, before LTFS runs out of space, and restores byte for byte', async () => {
    const id = await startBackup(stack.gql, { agent: AGENT, paths: [source], pool: 'span' });
    succeeded(await waitForJob(stack.gql, id, 400_000));
    const { job } = await stack.gql.request<{ job: { tapes: string[]; events: Array<{ type: string; level: string; message: string }> } }>(
      'query($id: ID!) { job(id: $id) { tapes events(limit: 1000) { type level message } } }',
      { id },
    );
    const log = job.events.map((e) => `${e.level} ${e.type} ${e.message}`).join('\n');
    assert.deepEqual(job.tapes, TAPES.slice(0, 2), log);
    assert.ok(
      job.events.some((e) => e.type === 'TAPE_CHOSEN' && / is full; continuing on /.test(e.message)),
      log,
    );
    // Early warning came first: LTFS never answered "no space left" (END_OF_MEDIUM) to a write.
    assert.ok(!/END_OF_MEDIUM|no space left|ENOSPC/i.test(log), log);
    const tapes = await stack.gql.request<{ tapes: { edges: Array<{ node: { barcode: string; state: string } }> } }>(
      '{ tapes { edges { node { barcode state } } } }',
    );
    const state = new Map(tapes.tapes.edges.map((e) => [e.node.barcode, e.node.state]));
    assert.equal(state.get(TAPES[0]), 'FULL');
    assert.equal(state.get(TAPES[1]), 'ACTIVE');

    const files = await allFiles(stack.gql, { host: AGENT, pathPrefix: source, type: 'FILE' });
    const onTape = new Set(files.flatMap((f) => f.placements.map((p) => p.barcode)));
    assert.deepEqual([...onTape].sort(), TAPES.slice(0, 2), 'both tapes hold part of the backup');
    for (const f of files) for (const p of f.placements) assert.ok(p.partition === 'b' && p.startBlock > 0, `${f.path}: ${JSON.stringify(p)}`);

    const target = path.join(stack.restoreRoot, 'spanned');
    succeeded(
      await waitForJob(
        stack.gql,
        await startRestore(stack.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: source }, targetDirectory: target, stripPrefix: source }),
        400_000,
      ),
    );
    const want = await describeTree(source);
    const got = await describeTree(target);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [rel, entry] of want) assert.deepEqual(got.get(rel), entry, `restored ${rel}`);
  });
});
