// A backup larger than one tape continues on the next tapes of its pool: at each tape's early
// warning the agent confirms what it wrote, the server marks the tape FULL and names the next one,
// and the job goes on in the same drive. Every tape carries the job header and the manifests of
// what it holds. Small emulated cartridges (64 MiB), real server and agent processes, GraphQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { startStack, type Stack } from '../support/stack.js';
import { allFiles, startBackup, startRestore, waitForJob } from '../support/graphql-ops.js';

const AGENT = 'spanner';
const TAPES = ['SPN001L9', 'SPN002L9', 'SPN003L9', 'SPN004L9'];
// Left unformatted at first: the tapes of the pool a backup runs out of.
const SPARE = ['SPN005L9', 'SPN006L9'];
// A pool with two copies: three tapes at first, a fourth once the backup waits for it.
const DUAL = ['SPN007L9', 'SPN008L9', 'SPN009L9', 'SPN010L9'];
const MiB = 1024 * 1024;

describe('a backup that spans tapes', { timeout: 300_000 }, () => {
  let stack: Stack;
  const source = () => path.join(stack.tmp, 'big');
  const hashes = new Map<string, string>();

  before(async () => {
    stack = await startStack('spanning');
    await stack.startAgent({ name: AGENT, barcodes: [...TAPES, ...SPARE, ...DUAL], drives: 3, slots: 12, capacityBytes: 64 * MiB, earlyWarningBytes: 8 * MiB });
    await stack.gql.request(`mutation { createPool(input: { name: "span", generation: 9 }) { id } }`);
    for (const barcode of TAPES) await format(barcode, 'span');
    // 130 MiB in 3 MiB files (each written whole) and a few small ones (a bundle): at least 3 tapes.
    await mkdir(path.join(source(), 'small'), { recursive: true });
    for (let i = 0; i < 44; i++) {
      const body = randomBytes(3 * MiB - i);
      const file = path.join(source(), `part-${String(i).padStart(2, '0')}.bin`);
      await writeFile(file, body);
      hashes.set(file, createHash('sha256').update(body).digest('hex'));
    }
    for (let i = 0; i < 5; i++) {
      const body = randomBytes(1000 + i);
      const file = path.join(source(), 'small', `s${i}.txt`);
      await writeFile(file, body);
      hashes.set(file, createHash('sha256').update(body).digest('hex'));
    }
  });

  after(async () => {
    await stack?.stop();
  });

  const format = async (barcode: string, pool: string) => {
    const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!, $p: String!) { formatTape(barcode: $b, pool: $p) { id } }', {
      b: barcode,
      p: pool,
    });
    assert.equal((await waitForJob(stack.gql, r.formatTape.id)).status, 'SUCCEEDED');
  };
  /** Writes 24 files of about 3 MiB (72 MiB: more than one 64 MiB tape with an 8 MiB early-warning
   *  zone), backs them up to `pool`, and waits until the job waits for a tape. */
  const backupUntilWaiting = async (dir: string, pool: string, size: (i: number) => number) => {
    const src = path.join(stack.tmp, dir);
    await mkdir(src, { recursive: true });
    const files = new Map<string, string>();
    for (let i = 0; i < 24; i++) {
      const body = randomBytes(size(i));
      await writeFile(path.join(src, `f${i}.bin`), body);
      files.set(path.join(src, `f${i}.bin`), createHash('sha256').update(body).digest('hex'));
    }
    const id = await startBackup(stack.gql, { agent: AGENT, paths: [src], pool });
    type Waiting = { job: { status: string; queueReason: string | null } };
    let job: Waiting['job'] | undefined;
    for (const until = Date.now() + 120_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      job = (await stack.gql.request<Waiting>('query($id: ID!) { job(id: $id) { status queueReason } }', { id })).job;
      if (job.status !== 'RUNNING' && job.status !== 'QUEUED' && job.status !== 'ASSIGNED') break;
    }
    assert.equal(job?.status, 'WAITING_FOR_TAPE', JSON.stringify(job));
    return { id, src, files, job };
  };
  const tapeState = async (barcode: string) =>
    (await stack.gql.request<{ tape: { state: string } }>('query($b: String!) { tape(barcode: $b) { state } }', { b: barcode })).tape.state;

  it('goes on on the next tapes, marks the full ones FULL, and restores byte for byte', async () => {
    const id = await startBackup(stack.gql, { agent: AGENT, paths: [source()], pool: 'span' });
    const done = await waitForJob(stack.gql, id, 240_000);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode}: ${done.errorMessage}`);

    const { job } = await stack.gql.request<{ job: { tapes: string[]; events: { type: string; message: string }[] } }>(
      'query($id: ID!) { job(id: $id) { tapes events { type message } } }',
      { id },
    );
    assert.ok(job.tapes.length >= 3, `tapes used: ${job.tapes.join(', ')}`);
    assert.equal(new Set(job.tapes).size, job.tapes.length, 'never the same tape twice');
    const chosen = job.events.filter((e) => e.type === 'TAPE_CHOSEN' && / is full; continuing on /.test(e.message));
    assert.equal(chosen.length, job.tapes.length - 1, job.events.map((e) => e.message).join('\n'));

    const states = await stack.gql.request<{ tapes: { edges: { node: { barcode: string; state: string } }[] } }>(
      '{ tapes { edges { node { barcode state } } } }',
    );
    const stateOf = new Map(states.tapes.edges.map((e) => [e.node.barcode, e.node.state]));
    for (const barcode of job.tapes.slice(0, -1)) assert.equal(stateOf.get(barcode), 'FULL', barcode);
    assert.equal(stateOf.get(job.tapes.at(-1)!), 'ACTIVE');

    // Every file in the catalog with its hash, on one of the job's tapes; the data is spread.
    const files = await allFiles(stack.gql, { host: AGENT, pathPrefix: source(), type: 'FILE' });
    assert.equal(files.length, hashes.size);
    const used = new Set<string>();
    for (const f of files) {
      assert.equal(f.sha256, hashes.get(f.path), f.path);
      for (const p of f.placements) {
        assert.ok(job.tapes.includes(p.barcode), `${f.path} on ${p.barcode}`);
        used.add(p.barcode);
      }
    }
    assert.equal(used.size, job.tapes.length, 'each tape holds part of the backup');

    // Each tape alone carries the job header and manifests of what it holds.
    for (const barcode of job.tapes) {
      const ferrite = path.join(stack.libraryDirOf(AGENT), 'cartridges', barcode, 'volume', 'ferrite');
      const entries = await readdir(ferrite, { recursive: true });
      assert.ok(entries.includes(`manifests/${id}-000000.json`), `${barcode} has the job header: ${entries.join(', ')}`);
      assert.ok(
        entries.some((e) => e.startsWith(`manifests/${id}-`) && e.endsWith('.jsonl')),
        `${barcode} has manifests`,
      );
    }

    const target = path.join(stack.restoreRoot, 'spanned');
    const restoreId = await startRestore(stack.gql, {
      agent: AGENT,
      selection: { host: AGENT, pathPrefix: source() },
      targetDirectory: target,
      stripPrefix: source(),
    });
    const restore = await waitForJob(stack.gql, restoreId, 240_000);
    assert.equal(restore.status, 'SUCCEEDED', `${restore.errorCode}: ${restore.errorMessage}`);
    for (const [file, sha] of hashes) {
      const body = await readFile(path.join(target, path.relative(source(), file)));
      assert.equal(createHash('sha256').update(body).digest('hex'), sha, file);
    }
  });

  it('waits WAITING_FOR_TAPE with an operator request when its pool has no tape left, and goes on once one is formatted', async () => {
    await stack.gql.request(`mutation { createPool(input: { name: "short", generation: 9 }) { id } }`);
    await format(SPARE[0], 'short');
    // 72 MiB: more than one 64 MiB tape with an 8 MiB early-warning zone.
    const { id, src, files: more, job } = await backupUntilWaiting('more', 'short', (i) => 3 * MiB + i);
    assert.match(job.queueReason ?? '', /no scratch tape in pool short on agent spanner/);
    assert.equal(await tapeState(SPARE[0]), 'FULL');

    type Requests = {
      operatorRequests: { jobId: string; barcode: string | null; pool: string | null; copy: number | null; message: string; status: string }[];
    };
    const open = (await stack.gql.request<Requests>('{ operatorRequests(status: OPEN) { jobId barcode pool copy message status } }')).operatorRequests;
    const mine = open.filter((r) => r.jobId === id);
    assert.equal(mine.length, 1, JSON.stringify(open));
    assert.equal(mine[0].barcode, null);
    assert.equal(mine[0].pool, 'short');
    assert.equal(mine[0].copy, 1);
    assert.match(mine[0].message, /^insert a scratch tape of pool short .*into library spanner-lib \(drive \S+\) on host spanner\.test /);

    // The operator formats a tape into the pool (another drive is free): the backup goes on by itself.
    await format(SPARE[1], 'short');
    const done = await waitForJob(stack.gql, id, 120_000);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode}: ${done.errorMessage}`);
    const { job: ended } = await stack.gql.request<{ job: { tapes: string[]; queueReason: string | null } }>(
      'query($id: ID!) { job(id: $id) { tapes queueReason } }',
      {
        id,
      },
    );
    assert.deepEqual(ended.tapes, SPARE);
    const satisfied = (await stack.gql.request<Requests>('{ operatorRequests(status: SATISFIED) { jobId barcode pool copy message status } }'))
      .operatorRequests;
    assert.equal(satisfied.filter((r) => r.jobId === id).length, 1);
    const files = await allFiles(stack.gql, { host: AGENT, pathPrefix: src, type: 'FILE' });
    assert.equal(files.length, more.size);
    for (const f of files) assert.equal(f.sha256, more.get(f.path), f.path);
  });

  it('with two copies, the copy that runs out waits for its own next tape, and each copy ends on tapes of its own', async () => {
    await stack.gql.request(`mutation { createPool(input: { name: "dual", generation: 9, copies: 2 }) { id } }`);
    for (const barcode of DUAL.slice(0, 3)) await format(barcode, 'dual');
    // 72 MiB again: each copy needs two tapes, and the pool holds three.
    const { id, src, files: want, job } = await backupUntilWaiting('dual', 'dual', (i) => 3 * MiB + 7 * i);
    assert.match(job.queueReason ?? '', /no scratch tape in pool dual on agent spanner/);

    type Requests = { operatorRequests: { jobId: string; barcode: string | null; pool: string | null; copy: number | null; message: string }[] };
    const open = (await stack.gql.request<Requests>('{ operatorRequests(status: OPEN) { jobId barcode pool copy message } }')).operatorRequests;
    const mine = open.filter((r) => r.jobId === id);
    assert.equal(mine.length, 1, JSON.stringify(open));
    assert.equal(mine[0].pool, 'dual');
    const waitingCopy = mine[0].copy;
    assert.ok(waitingCopy === 1 || waitingCopy === 2, JSON.stringify(mine[0]));
    assert.match(mine[0].message, new RegExp(`^insert a scratch tape of pool dual .* copy ${waitingCopy}$`));

    // The third drive is free: the operator formats the fourth tape, and the waiting copy goes on.
    await format(DUAL[3], 'dual');
    const done = await waitForJob(stack.gql, id, 180_000);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode}: ${done.errorMessage}`);

    const files = await allFiles(stack.gql, { host: AGENT, pathPrefix: src, type: 'FILE' });
    assert.equal(files.length, want.size);
    const tapesOf = new Map<number, Set<string>>([
      [1, new Set()],
      [2, new Set()],
    ]);
    for (const f of files) {
      assert.equal(f.sha256, want.get(f.path), f.path);
      assert.deepEqual(new Set(f.placements.map((p) => p.copy)), new Set([1, 2]), `${f.path} has both copies`);
      for (const p of f.placements) tapesOf.get(p.copy)!.add(p.barcode);
    }
    assert.equal(tapesOf.get(1)!.size, 2, `copy 1 on ${[...tapesOf.get(1)!].join(', ')}`);
    assert.equal(tapesOf.get(2)!.size, 2, `copy 2 on ${[...tapesOf.get(2)!].join(', ')}`);
    for (const barcode of tapesOf.get(1)!) assert.ok(!tapesOf.get(2)!.has(barcode), `${barcode} holds one copy only`);
    // The tape formatted while the job waited went to the copy that asked for it.
    assert.ok(tapesOf.get(waitingCopy)!.has(DUAL[3]), `copy ${waitingCopy} continued on ${DUAL[3]}`);
    // Each copy filled its first tape (FULL) and ended on its second (ACTIVE).
    for (const [copy, tapes] of tapesOf) {
      const states = await Promise.all([...tapes].map(tapeState));
      assert.deepEqual(states.sort(), ['ACTIVE', 'FULL'], `copy ${copy}: ${[...tapes].join(', ')} are ${states.join(', ')}`);
    }
  });
});
