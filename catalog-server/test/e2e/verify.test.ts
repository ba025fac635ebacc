// Verify, end to end: a backup to a pool with two copies, then startVerify re-reads the objects
// from the emulated tapes and compares their SHA-256 with the catalog. A byte flipped on copy 1's
// tape fails the verify, names the object, and makes that tape SUSPECT, so a restore reads copy 2;
// once the byte is right again, a verify of the whole tape passes and puts the tape back to ACTIVE.
// Real server and agent processes, real gRPC, real files, driven through GraphQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { startStack, type Stack } from '../support/stack.js';
import { errorCodeOf, startBackup, startRestore, waitForJob, type JobView } from '../support/graphql-ops.js';

const AGENT = 'verifier';
const COPY1 = 'VRF001L9';
const COPY2 = 'VRF002L9';

interface TapeView {
  barcode: string;
  state: string;
  lastVerifiedAt: string | null;
  lastVerifyResult: string | null;
}

describe('verifying tapes and runs', { timeout: 300_000 }, () => {
  let stack: Stack;
  let source: string;
  let runId: string;
  const hashes = new Map<string, string>();

  before(async () => {
    stack = await startStack('verify');
    await stack.startAgent({ name: AGENT, barcodes: [COPY1, COPY2], drives: 2 });
    source = path.join(stack.tmp, 'data');
    await mkdir(path.join(source, 'small'), { recursive: true });
    for (let i = 0; i < 12; i++) {
      // Four large files stored whole, the rest packed into a tar bundle.
      const body = randomBytes(i % 3 === 0 ? 1_200_000 + i : 300 + i * 41);
      const file = path.join(source, i % 3 === 0 ? '' : 'small', `v${i}.bin`);
      await writeFile(file, body);
      hashes.set(file, createHash('sha256').update(body).digest('hex'));
    }
  });

  after(async () => {
    await stack?.stop();
  });

  const startVerify = async (input: Record<string, unknown>): Promise<string> =>
    (await stack.gql.request<{ startVerify: { id: string } }>('mutation($i: StartVerifyInput!) { startVerify(input: $i) { id } }', { i: input })).startVerify
      .id;

  const tapes = async (): Promise<Map<string, TapeView>> => {
    const r = await stack.gql.request<{ tapes: { edges: Array<{ node: TapeView }> } }>(
      '{ tapes { edges { node { barcode state lastVerifiedAt lastVerifyResult } } } }',
    );
    return new Map(r.tapes.edges.map((e) => [e.node.barcode, e.node]));
  };

  const jobDetail = async (id: string) =>
    (
      await stack.gql.request<{ job: { tapes: string[]; summary: string; events: Array<{ level: string; message: string }> } }>(
        'query($id: ID!) { job(id: $id) { tapes summary events { level message } } }',
        { id },
      )
    ).job;

  const verifyJobs = async (): Promise<number> =>
    (await stack.gql.request<{ jobs: { totalCount: number } }>('{ jobs(filter: { kind: [VERIFY] }) { totalCount } }')).jobs.totalCount;

  const succeeded = (j: JobView) => assert.equal(j.status, 'SUCCEEDED', `${j.errorCode} ${j.errorMessage}`);

  it('refuses a verify with nothing, two things or unknown things to read, and creates no job', async () => {
    assert.equal(await errorCodeOf(startVerify({})), 'INVALID_SELECTION');
    assert.equal(await errorCodeOf(startVerify({ tape: COPY1, runId: '00000000-0000-4000-8000-000000000000' })), 'INVALID_SELECTION');
    assert.equal(await errorCodeOf(startVerify({ tape: 'NOPE01L9' })), 'TAPE_NOT_FOUND');
    assert.equal(await errorCodeOf(startVerify({ runId: '00000000-0000-4000-8000-000000000000' })), 'RUN_NOT_FOUND');
    assert.equal(await errorCodeOf(startVerify({ runId: 'not-a-run' })), 'RUN_NOT_FOUND');
    // A tape with no catalogued data has nothing to compare.
    assert.equal(await errorCodeOf(startVerify({ tape: COPY1 })), 'NOTHING_TO_VERIFY');
    assert.equal(await errorCodeOf(startVerify({ tape: COPY1, agent: 'nobody' })), 'AGENT_NOT_FOUND');
    assert.equal(await verifyJobs(), 0);
  });

  it('passes on a tape and on a run whose every object reads back as recorded', async () => {
    await stack.gql.request('mutation { createPool(input: { name: "mirrored", generation: 9, copies: 2 }) { id } }');
    for (const barcode of [COPY1, COPY2]) {
      const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!) { formatTape(barcode: $b, pool: "mirrored") { id } }', {
        b: barcode,
      });
      succeeded(await waitForJob(stack.gql, r.formatTape.id));
    }
    succeeded(await waitForJob(stack.gql, await startBackup(stack.gql, { agent: AGENT, paths: [source], pool: 'mirrored' })));
    const runs = await stack.gql.request<{ runs: { edges: Array<{ node: { id: string } }> } }>('{ runs(first: 5) { edges { node { id } } } }');
    assert.equal(runs.runs.edges.length, 1);
    runId = runs.runs.edges[0].node.id;

    const tapeJob = await waitForJob(stack.gql, await startVerify({ tape: COPY1 }));
    succeeded(tapeJob);
    // One object per file (every content differs): four stored whole, eight inside a tar bundle.
    assert.equal(tapeJob.progress?.filesDone, hashes.size, 'one object per non-empty file on the tape');
    assert.equal(tapeJob.progress?.filesTotal, hashes.size);
    const detail = await jobDetail(tapeJob.id);
    assert.deepEqual(detail.tapes, [COPY1]);
    assert.match(detail.summary, new RegExp(`verify tape ${COPY1}: ${hashes.size} object`));
    const after1 = (await tapes()).get(COPY1)!;
    assert.ok(after1.lastVerifiedAt, 'the tape records when it was verified');
    assert.match(after1.lastVerifyResult ?? '', new RegExp(`^${hashes.size} object\\(s\\), \\d+ bytes read back: every SHA-256 matched`));
    assert.equal(after1.state, 'ACTIVE');
    assert.equal((await tapes()).get(COPY2)!.lastVerifiedAt, null, 'the other copy was not read');
    const due = await stack.gql.request<{ tapes: { edges: Array<{ node: { barcode: string } }> } }>(
      'query($t: DateTime) { tapes(filter: { pool: "mirrored", notVerifiedSince: $t }) { edges { node { barcode } } } }',
      { t: new Date(Date.now() - 3_600_000).toISOString() },
    );
    assert.deepEqual(
      due.tapes.edges.map((e) => e.node.barcode),
      [COPY2],
      'what is left to verify',
    );

    // A run's verify reads every copy: both tapes, one after the other.
    const runJob = await waitForJob(stack.gql, await startVerify({ runId }));
    succeeded(runJob);
    assert.equal(runJob.progress?.filesDone, hashes.size * 2);
    assert.deepEqual((await jobDetail(runJob.id)).tapes, [COPY1, COPY2]);
    assert.ok((await tapes()).get(COPY2)!.lastVerifiedAt);
  });

  it('fails on a flipped byte, names the object, and makes the tape SUSPECT so restores read the other copy', async () => {
    const big = [...hashes.keys()].find((f) => path.dirname(f) === source)!;
    const r = await stack.gql.request<{ files: { edges: Array<{ node: { placements: Array<{ barcode: string; containerPath: string; offset: number }> } }> } }>(
      'query($f: FileFilter) { files(filter: $f) { edges { node { placements { barcode containerPath offset } } } } }',
      { f: { host: AGENT, pathPrefix: big } },
    );
    const placement = r.files.edges[0].node.placements.find((p) => p.barcode === COPY1)!;
    const onTape = path.join(stack.libraryDirOf(AGENT), 'cartridges', COPY1, 'volume', placement.containerPath);
    const flipAt = placement.offset + 1000;
    const flip = async () => {
      const fh = await open(onTape, 'r+');
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, flipAt);
      b[0] ^= 0xff;
      await fh.write(b, 0, 1, flipAt);
      await fh.close();
    };
    await flip();

    const failed = await waitForJob(stack.gql, await startVerify({ tape: COPY1 }));
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.errorCode, 'VERIFY_FAILED');
    assert.match(failed.errorMessage ?? '', new RegExp(`1 of ${hashes.size} object\\(s\\)`));
    assert.equal(failed.progress?.filesDone, hashes.size, 'the verify went on past the bad object');
    const errors = (await jobDetail(failed.id)).events.filter((e) => e.level === 'error').map((e) => e.message);
    assert.ok(
      errors.some((m) => m.includes(big) && m.includes('SHA-256 mismatch') && m.includes(placement.containerPath)),
      errors.join('\n'),
    );
    const now = await tapes();
    assert.equal(now.get(COPY1)!.state, 'SUSPECT');
    assert.match(now.get(COPY1)!.lastVerifyResult ?? '', new RegExp(`^1 of ${hashes.size} object`));
    assert.equal(now.get(COPY2)!.state, 'ACTIVE', 'the good copy is untouched');

    const target = path.join(stack.restoreRoot, 'after-verify');
    const restore = await waitForJob(
      stack.gql,
      await startRestore(stack.gql, { agent: AGENT, selection: { runId }, targetDirectory: target, stripPrefix: source }),
    );
    succeeded(restore);
    assert.deepEqual((await jobDetail(restore.id)).tapes, [COPY2], 'the restore avoids the suspect tape');
    for (const [file, sha] of hashes) {
      assert.equal(
        createHash('sha256')
          .update(await readFile(path.join(target, path.relative(source, file))))
          .digest('hex'),
        sha,
        file,
      );
    }

    // The byte put right (a re-read that works, a cleaned drive): a whole-tape verify that passes
    // puts the tape back to the state the failed one took it out of.
    await flip();
    succeeded(await waitForJob(stack.gql, await startVerify({ tape: COPY1 })));
    assert.equal((await tapes()).get(COPY1)!.state, 'ACTIVE');
  });
});
