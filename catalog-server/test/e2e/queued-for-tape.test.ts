// A backup submitted when the agent's library has no tape for its pool is not refused: it waits
// QUEUED with a reason an operator can read, and runs by itself once a tape is formatted into the
// pool. Two waiting backups and one new tape: one takes it, the other waits until the tape is free.
// Real server and agent processes, real gRPC, driven through GraphQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { allFiles, startBackup, waitForJob } from '../support/graphql-ops.js';

const AGENT = 'qtape';

describe('a backup waits queued for a tape', { timeout: 300_000 }, () => {
  let stack: Stack;
  const sources: Record<string, Map<string, string>> = {};

  before(async () => {
    stack = await startStack('qtape');
    await stack.startAgent({ name: AGENT, barcodes: ['QTP001L9', 'QTP002L9'], drives: 2 });
    await stack.gql.request(`mutation { createPool(input: { name: "qpool", generation: 9 }) { id } }`);
    for (const name of ['one', 'two', 'three']) {
      const dir = path.join(stack.tmp, 'src', name);
      await mkdir(dir, { recursive: true });
      const hashes = new Map<string, string>();
      for (let i = 0; i < 12; i++) {
        const body = randomBytes(i === 0 ? 1_200_000 : 3000 + i);
        await writeFile(path.join(dir, `f${i}.bin`), body);
        hashes.set(path.join(dir, `f${i}.bin`), createHash('sha256').update(body).digest('hex'));
      }
      sources[name] = hashes;
    }
  });

  after(async () => {
    await stack?.stop();
  });

  const jobView = (id: string) =>
    stack.gql
      .request<{ job: { status: string; queueReason: string | null; tapes: string[]; startedAt: string | null; finishedAt: string | null; summary: string } }>(
        'query($id: ID!) { job(id: $id) { status queueReason tapes startedAt finishedAt summary } }',
        { id },
      )
      .then((r) => r.job);

  it('queues with a reason, runs once a tape is formatted into the pool, and one tape goes to one backup at a time', async () => {
    const src = (name: string) => path.join(stack.tmp, 'src', name);
    const one = await startBackup(stack.gql, { agent: AGENT, paths: [src('one')], pool: 'qpool' });
    const two = await startBackup(stack.gql, { agent: AGENT, paths: [src('two')], pool: 'qpool' });
    const three = await startBackup(stack.gql, { agent: AGENT, paths: [src('three')], pool: 'qpool' });

    for (const id of [one, two, three]) {
      const j = await waitFor(`job ${id} to say why it waits`, async () => {
        const v = await jobView(id);
        return v.queueReason === `no scratch tape in pool qpool on agent ${AGENT}` ? v : undefined;
      });
      assert.equal(j.status, 'QUEUED');
      assert.deepEqual(j.tapes, []);
      assert.match(j.summary, /to a tape of pool qpool chosen when it runs/);
    }
    // A waiting backup can be dropped like any queued job.
    const cancelled = await stack.gql.request<{ cancelJob: { status: string } }>('mutation($id: ID!) { cancelJob(id: $id) { status } }', { id: three });
    assert.equal(cancelled.cancelJob.status, 'CANCELLED');

    const format = await stack.gql.request<{ formatTape: { id: string } }>('mutation { formatTape(barcode: "QTP001L9", pool: "qpool") { id } }');
    assert.equal((await waitForJob(stack.gql, format.formatTape.id)).status, 'SUCCEEDED');

    const [doneOne, doneTwo] = [await waitForJob(stack.gql, one), await waitForJob(stack.gql, two)];
    assert.equal(doneOne.status, 'SUCCEEDED', `${doneOne.errorCode} ${doneOne.errorMessage}`);
    assert.equal(doneTwo.status, 'SUCCEEDED', `${doneTwo.errorCode} ${doneTwo.errorMessage}`);
    const [a, b] = [await jobView(one), await jobView(two)];
    assert.deepEqual(a.tapes, ['QTP001L9']);
    assert.deepEqual(b.tapes, ['QTP001L9']);
    // Two drives were free, but the one tape was leased to one backup at a time.
    const [first, second] = Date.parse(a.startedAt!) <= Date.parse(b.startedAt!) ? [a, b] : [b, a];
    assert.ok(Date.parse(second.startedAt!) >= Date.parse(first.finishedAt!), `second started ${second.startedAt}, first finished ${first.finishedAt}`);
    assert.equal((await jobView(three)).status, 'CANCELLED');

    for (const name of ['one', 'two']) {
      const files = await allFiles(stack.gql, { host: AGENT, pathPrefix: src(name), type: 'FILE' });
      assert.equal(files.length, sources[name].size);
      for (const f of files) {
        assert.equal(f.sha256, sources[name].get(f.path), f.path);
        assert.deepEqual(
          f.placements.map((p) => p.barcode),
          ['QTP001L9'],
        );
      }
    }
    const tape = await stack.gql.request<{ tape: { state: string; pool: { name: string } | null } }>('{ tape(barcode: "QTP001L9") { state pool { name } } }');
    assert.deepEqual(tape.tape, { state: 'ACTIVE', pool: { name: 'qpool' } });
  });
});
