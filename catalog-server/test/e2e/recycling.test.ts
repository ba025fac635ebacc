// Recycling, end to end (issue 15, item 6): a pool keeping only the newest run of each source
// (retentionRuns: 1) with a scratch pool. Source A goes to tape T, then, changed, to tape U: T then
// holds only an expired run. applyRetention returns T to scratch awaiting a format (no backup or
// rebuild takes it meanwhile), queues one forced FORMAT job for it by itself, and that format writes
// a new volume (new volume UUID, label generation 2, the old files gone). A new backup (source B)
// then writes to T, and a catalog rebuilt from T alone on an empty database holds B's run and
// nothing of A's. A WORM tape holding only an expired run is never recycled.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import type { GraphQLClient } from 'graphql-request';
import { startStack, waitFor, type AgentOptions, type Stack } from '../support/stack.js';
import { describeTree, sha256Hex } from '../support/tree.js';
import { allFiles, errorCodeOf, startBackup, startRestore, waitForJob, type JobView } from '../support/graphql-ops.js';

const AGENT = 'recycler';
const T = 'RCY001L9';
const U = 'RCY002L9';
const W = 'RCYW01LZ'; // LZ: LTO-9 WORM
const SPARE = 'RCY003L9';
const POOL = 'rcy-daily';
const SCRATCH = 'rcy-scratch';

interface TapeView {
  state: string;
  pool: { name: string } | null;
  volumeUuid: string | null;
  formatted: boolean;
  recycledAt: string | null;
  reformatPending: boolean;
  usedBytes: number;
  worm: boolean;
}

async function tape(gql: GraphQLClient, barcode: string): Promise<TapeView> {
  const r = await gql.request<{ tape: TapeView }>(
    'query($b: String!) { tape(barcode: $b) { state pool { name } volumeUuid formatted recycledAt reformatPending usedBytes worm } }',
    { b: barcode },
  );
  return r.tape;
}

interface FormatJob {
  id: string;
  status: string;
  tapes: string[];
  idempotencyKey: string | null;
}

async function formatJobs(gql: GraphQLClient): Promise<FormatJob[]> {
  const r = await gql.request<{ jobs: { edges: { node: FormatJob }[] } }>(
    `{ jobs(filter: { kind: [FORMAT], agent: "${AGENT}" }, first: 100) { edges { node { id status tapes idempotencyKey } } } }`,
  );
  return r.jobs.edges.map((e) => e.node);
}

async function applyRetention(gql: GraphQLClient): Promise<Array<{ barcode: string; pool: string; toPool: string | null; placementsRemoved: number }>> {
  const r = await gql.request<{ applyRetention: Array<{ barcode: string; pool: string; toPool: string | null; placementsRemoved: number }> }>(
    'mutation { applyRetention { barcode pool toPool placementsRemoved } }',
  );
  return r.applyRetention;
}

/** Every file (not directory) on a cartridge's emulated volume, relative to its root. */
async function filesOnVolume(stack: Stack, barcode: string): Promise<string[]> {
  const root = path.join(stack.libraryDirOf(AGENT), 'cartridges', barcode, 'volume');
  const out: string[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push(path.relative(root, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

async function label(stack: Stack, barcode: string): Promise<{ barcode: string; volumeUuid: string; generation?: number; pool: string | null }> {
  return JSON.parse(await readFile(path.join(stack.libraryDirOf(AGENT), 'cartridges', barcode, 'volume', 'FERRITE.json'), 'utf8'));
}

const succeeded = (j: JobView) => assert.equal(j.status, 'SUCCEEDED', `${j.errorCode}: ${j.errorMessage}`);

describe('recycling a tape whose runs have all expired', { timeout: 600_000 }, () => {
  let stack: Stack;
  let second: Stack | undefined;
  const agentOptions: AgentOptions = { name: AGENT, barcodes: [T, U, W, SPARE], drives: 2, slots: 8 };
  const srcA = () => path.join(stack.tmp, 'source-a');
  const srcW = () => path.join(stack.tmp, 'source-w');
  const srcB = () => path.join(stack.tmp, 'source-b');
  let jobA1 = '';
  let jobB = '';
  let before1: { volumeUuid: string; usedBytes: number; files: string[] };

  /** A few small files (one tar bundle) and one large file (stored whole): fresh random contents. */
  const fill = async (root: string, tag: string) => {
    await mkdir(path.join(root, 'sub'), { recursive: true });
    await writeFile(path.join(root, 'a.txt'), `${tag} a ${randomBytes(16).toString('hex')}\n`);
    await writeFile(path.join(root, 'sub', 'b.txt'), `${tag} b ${randomBytes(300).toString('hex')}\n`);
    await writeFile(path.join(root, 'large.bin'), randomBytes(2 * 1024 * 1024 + 17));
  };
  const backup = async (root: string, tapeBarcode: string): Promise<string> => {
    const id = await startBackup(stack.gql, { agent: AGENT, paths: [root], pool: POOL, tape: tapeBarcode });
    succeeded(await waitForJob(stack.gql, id));
    return id;
  };

  before(async () => {
    stack = await startStack('recycling');
    await stack.startAgent(agentOptions);
    await stack.gql.request(`mutation { createPool(input: { name: "${SCRATCH}", generation: 9 }) { id } }`);
    await stack.gql.request(`mutation { createPool(input: { name: "${POOL}", generation: 9, retentionRuns: 1, scratchPool: "${SCRATCH}" }) { id } }`);
    for (const barcode of [T, U, W]) {
      const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!, $p: String!) { formatTape(barcode: $b, pool: $p) { id } }', {
        b: barcode,
        p: POOL,
      });
      succeeded(await waitForJob(stack.gql, r.formatTape.id));
    }
    assert.equal((await tape(stack.gql, W)).worm, true, `${W} is a WORM cartridge`);
    await fill(srcA(), 'A1');
    await fill(srcW(), 'W1');
    await fill(srcB(), 'B');
  });

  after(async () => {
    await second?.stop();
    await stack?.stop();
  });

  it('keeps tapes that hold a retained run', async () => {
    jobA1 = await backup(srcA(), T);
    await backup(srcW(), W);
    assert.deepEqual(await applyRetention(stack.gql), [], 'each source has only its newest run: everything is retained');
    const t = await tape(stack.gql, T);
    assert.equal(t.state, 'ACTIVE');
    assert.equal(t.reformatPending, false);
    const l = await label(stack, T);
    assert.equal(l.volumeUuid, t.volumeUuid);
    assert.equal(l.generation ?? 1, 1);
    before1 = { volumeUuid: t.volumeUuid!, usedBytes: t.usedBytes, files: await filesOnVolume(stack, T) };
    assert.ok(
      before1.files.some((f) => f.startsWith(`ferrite/data/${jobA1}/`)),
      before1.files.join(', '),
    );
  });

  it('returns a tape holding only expired runs to scratch, awaiting its format; never a WORM tape', async () => {
    // Both sources change and go to U: their first runs (on T and on the WORM tape) are no longer retained.
    await fill(srcA(), 'A2');
    await fill(srcW(), 'W2');
    await backup(srcA(), U);
    await backup(srcW(), U);
    // The agent is away while retention runs, so the format it queues waits and the tape can be seen awaiting it.
    await stack.stopAgent(AGENT);
    await stack.waitForAgentOffline(AGENT);

    const recycled = await applyRetention(stack.gql);
    assert.deepEqual(
      recycled.map((r) => ({ ...r, placementsRemoved: r.placementsRemoved > 0 })),
      [{ barcode: T, pool: POOL, toPool: SCRATCH, placementsRemoved: true }],
    );
    const t = await tape(stack.gql, T);
    assert.equal(t.state, 'SCRATCH');
    assert.equal(t.reformatPending, true);
    assert.ok(t.recycledAt, 'recycledAt is set');
    assert.equal(t.pool?.name, SCRATCH, 'it went back to the scratch pool');
    assert.equal(t.volumeUuid, before1.volumeUuid, 'not formatted yet');

    // The WORM tape holds only an expired run too, but is never recycled: it keeps its state, pool and placements.
    const w = await tape(stack.gql, W);
    assert.deepEqual([w.state, w.pool?.name, w.reformatPending, w.recycledAt], ['ACTIVE', POOL, false, null]);
    assert.ok((await allFiles(stack.gql, { tape: W, type: 'FILE' })).length > 0, 'the WORM tape keeps its placements');

    // The expired versions leave the catalog (the purge after the retention pass): no tape holds them.
    // U keeps A's newest run.
    assert.deepEqual(await allFiles(stack.gql, { tape: T }), [], 'the catalog claims nothing on T');
    const versions = () =>
      stack.gql
        .request<{ fileVersions: Array<{ jobId: string; placements: Array<{ barcode: string }> }> }>(
          'query($h: String!, $p: String!) { fileVersions(host: $h, path: $p) { jobId placements { barcode } } }',
          { h: AGENT, p: path.join(srcA(), 'large.bin') },
        )
        .then((r) => r.fileVersions);
    const fileVersions = await waitFor('the expired version to leave the catalog', async () => {
      const v = await versions();
      return v.length === 1 ? v : undefined;
    });
    assert.notEqual(fileVersions[0].jobId, jobA1);
    assert.deepEqual(
      fileVersions[0].placements.map((p) => p.barcode),
      [U],
    );

    // Until its format, no backup and no rebuild takes it.
    assert.equal(await errorCodeOf(startBackup(stack.gql, { agent: AGENT, paths: [srcB()], tape: T })), 'TAPE_NOT_FORMATTED');
    assert.equal(await errorCodeOf(stack.gql.request(`mutation { rebuildCatalog(input: { tape: "${T}" }) { id } }`)), 'TAPE_NOT_FORMATTED');

    // One forced format is queued for it by itself (and for nothing else); another pass queues no second one.
    const queued = (await formatJobs(stack.gql)).filter((j) => j.status !== 'SUCCEEDED');
    assert.equal(queued.length, 1, JSON.stringify(queued));
    assert.deepEqual(queued[0].tapes, [T]);
    assert.equal(queued[0].status, 'QUEUED');
    assert.match(queued[0].idempotencyKey ?? '', new RegExp(`^recycled-format:${T}:`), 'queued by the retention pass');
    assert.deepEqual(await applyRetention(stack.gql), []);
    assert.equal((await formatJobs(stack.gql)).filter((j) => j.status !== 'SUCCEEDED').length, 1, 'still one format');
  });

  it('formats it when its agent is back: a new volume, label generation 2, the old files gone', async () => {
    await stack.startAgent(agentOptions);
    const [format] = (await formatJobs(stack.gql)).filter((j) => j.tapes.includes(T) && j.status !== 'SUCCEEDED');
    assert.ok(format, 'the queued format');
    succeeded(await waitForJob(stack.gql, format.id));
    const t = await waitFor('the format to be recorded', async () => {
      const v = await tape(stack.gql, T);
      return v.reformatPending ? undefined : v;
    });
    assert.equal(t.state, 'SCRATCH');
    assert.equal(t.reformatPending, false);
    assert.equal(t.formatted, true);
    assert.ok(t.volumeUuid && t.volumeUuid !== before1.volumeUuid, `a new volume: ${before1.volumeUuid} -> ${t.volumeUuid}`);
    assert.ok(t.usedBytes < before1.usedBytes, `the space came back: ${before1.usedBytes} -> ${t.usedBytes}`);
    const l = await label(stack, T);
    assert.equal(l.generation, 2);
    assert.equal(l.volumeUuid, t.volumeUuid);
    assert.equal(l.barcode, T);
    assert.deepEqual(await filesOnVolume(stack, T), ['FERRITE.json'], 'nothing of the expired run is left on the volume');

    // The WORM tape can never be reformatted, even by hand.
    assert.equal(await errorCodeOf(stack.gql.request(`mutation { formatTape(barcode: "${W}", force: true) { id } }`)), 'TAPE_IS_WORM');
  });

  it('takes a new backup', async () => {
    jobB = await backup(srcB(), T);
    const t = await tape(stack.gql, T);
    assert.equal(t.state, 'ACTIVE');
    assert.equal(t.pool?.name, POOL, 'the scratch tape joined the pool it was written for');
    const onT = await allFiles(stack.gql, { tape: T, type: 'FILE' });
    assert.deepEqual(onT.map((f) => f.path).sort(), [path.join(srcB(), 'a.txt'), path.join(srcB(), 'large.bin'), path.join(srcB(), 'sub', 'b.txt')]);
    const files = await filesOnVolume(stack, T);
    assert.ok(!files.some((f) => f.includes(jobA1)), files.join(', '));
    assert.ok(
      files.some((f) => f.startsWith(`ferrite/data/${jobB}/`)),
      files.join(', '),
    );
  });

  it('a catalog rebuilt from it on an empty database holds only the new run', async () => {
    await stack.stopAgent(AGENT);
    second = await startStack('recycling-b');
    await second.startAgent({ ...agentOptions, libraryDir: stack.libraryDirOf(AGENT) });
    const r = await second.gql.request<{ rebuildCatalog: { id: string } }>(`mutation { rebuildCatalog(input: { tape: "${T}" }) { id } }`);
    succeeded(await waitForJob(second.gql, r.rebuildCatalog.id));

    const runs = await second.gql.request<{ runs: { edges: { node: { jobId: string; root: string } }[] } }>(
      '{ runs(first: 100) { edges { node { jobId root } } } }',
    );
    assert.deepEqual(
      runs.runs.edges.map((e) => e.node),
      [{ jobId: jobB, root: srcB() }],
    );
    const files = await allFiles(second.gql, { host: AGENT });
    assert.ok(files.length > 0);
    assert.ok(
      files.every((f) => f.path === srcB() || f.path.startsWith(`${srcB()}/`)),
      files.map((f) => f.path).join(', '),
    );
    assert.deepEqual(await allFiles(second.gql, { host: AGENT, pathPrefix: srcA() }), [], "none of source A's versions");
    const sources = await describeTree(srcB());
    for (const f of files.filter((x) => x.type === 'FILE')) {
      assert.equal(f.sha256, sources.get(path.relative(srcB(), f.path))?.sha256, f.path);
    }

    // And B restores from the rebuilt catalog byte for byte.
    const target = path.join(second.restoreRoot, 'b-again');
    succeeded(
      await waitForJob(
        second.gql,
        await startRestore(second.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: srcB() }, targetDirectory: target, stripPrefix: srcB() }),
      ),
    );
    assert.deepEqual(await describeTree(target), sources);
    assert.equal(sha256Hex(await readFile(path.join(target, 'large.bin'))), sources.get('large.bin')?.sha256);
  });
});
