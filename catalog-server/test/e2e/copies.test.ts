// Pools with copies, end to end: a backup to a pool with copies 2, on an agent with two emulated
// drives, writes every file to two tapes at once (copy 1 and copy 2, both reported and in the
// catalog); with copy 1's tape retired, a restore reads copy 2 and brings back every byte.
// Real server and agent processes, real gRPC, driven through GraphQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { startStack, type Stack } from '../support/stack.js';
import { errorCodeOf, startBackup, startRestore, waitForJob } from '../support/graphql-ops.js';

const AGENT = 'copier';

interface CopyFile {
  path: string;
  sha256: string;
  placements: Array<{ barcode: string; copy: number; containerPath: string }>;
}

describe('a pool with two copies', { timeout: 300_000 }, () => {
  let stack: Stack;
  let source: string;
  const hashes = new Map<string, string>();

  before(async () => {
    stack = await startStack('copies');
    await stack.startAgent({ name: AGENT, barcodes: ['CPE001L9', 'CPE002L9'], drives: 2 });
    source = path.join(stack.tmp, 'precious');
    await mkdir(path.join(source, 'sub'), { recursive: true });
    for (let i = 0; i < 30; i++) {
      const body = randomBytes(i % 10 === 0 ? 1_300_000 + i : 500 + i * 97);
      const file = path.join(source, i % 2 ? 'sub' : '', `f${i}.bin`);
      await writeFile(file, body);
      hashes.set(file, createHash('sha256').update(body).digest('hex'));
    }
  });

  after(async () => {
    await stack?.stop();
  });

  const files = async (filter: Record<string, unknown>): Promise<CopyFile[]> =>
    (
      await stack.gql.request<{ files: { edges: Array<{ node: CopyFile }> } }>(
        'query($f: FileFilter) { files(filter: $f, first: 500) { edges { node { path sha256 placements { barcode copy containerPath } } } } }',
        { f: filter },
      )
    ).files.edges.map((e) => e.node);

  it('refuses more copies than one agent has drives, and changes nothing', async () => {
    assert.equal(await errorCodeOf(stack.gql.request('mutation { createPool(input: { name: "thrice", generation: 9, copies: 3 }) { id } }')), 'INVALID_POOL');
    const pools = await stack.gql.request<{ pools: { edges: Array<{ node: { name: string } }> } }>('{ pools { edges { node { name } } } }');
    assert.deepEqual(
      pools.pools.edges.map((e) => e.node.name),
      [],
    );
  });

  it('writes every file to two tapes at once', async () => {
    await stack.gql.request('mutation { createPool(input: { name: "twice", generation: 9, copies: 2 }) { id } }');
    for (const barcode of ['CPE001L9', 'CPE002L9']) {
      const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!) { formatTape(barcode: $b, pool: "twice") { id } }', {
        b: barcode,
      });
      assert.equal((await waitForJob(stack.gql, r.formatTape.id)).status, 'SUCCEEDED');
    }
    const id = await startBackup(stack.gql, { agent: AGENT, paths: [source], pool: 'twice' });
    const done = await waitForJob(stack.gql, id);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode} ${done.errorMessage}`);
    const job = await stack.gql.request<{ job: { tapes: string[]; events: Array<{ type: string; message: string }> } }>(
      'query($id: ID!) { job(id: $id) { tapes events { type message } } }',
      { id },
    );
    assert.deepEqual(job.job.tapes, ['CPE001L9', 'CPE002L9']);
    assert.ok(
      job.job.events.some((e) => /writing 2 copies at once/.test(e.message)),
      'the log says the copies were written together',
    );

    const stored = await files({ host: AGENT, pathPrefix: source, type: 'FILE' });
    assert.equal(stored.length, hashes.size);
    for (const f of stored) {
      assert.equal(f.sha256, hashes.get(f.path), f.path);
      const copies = f.placements.map((p) => [p.copy, p.barcode]).sort();
      assert.deepEqual(
        copies,
        [
          [1, 'CPE001L9'],
          [2, 'CPE002L9'],
        ],
        f.path,
      );
    }
    // Two usable copies each: nothing is at risk.
    assert.deepEqual(await files({ host: AGENT, pathPrefix: source, maxCopies: 1 }), []);
    const tapes = await stack.gql.request<{ tapes: { edges: Array<{ node: { barcode: string; state: string; usedBytes: number; pool: { name: string } } }> } }>(
      '{ tapes(filter: { pool: "twice" }) { edges { node { barcode state usedBytes pool { name } } } } }',
    );
    const byBarcode = new Map(tapes.tapes.edges.map((e) => [e.node.barcode, e.node]));
    for (const b of ['CPE001L9', 'CPE002L9']) {
      assert.equal(byBarcode.get(b)?.state, 'ACTIVE', `${b} is written`);
      assert.ok((byBarcode.get(b)?.usedBytes ?? 0) > 1_300_000 * 3, `${b} holds the data`);
    }
  });

  it("restores every byte from copy 2 when copy 1's tape is retired", async () => {
    await stack.gql.request('mutation { retireTape(barcode: "CPE001L9") { state } }');
    const target = path.join(stack.restoreRoot, 'from-copy-2');
    const id = await startRestore(stack.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: source }, targetDirectory: target, stripPrefix: source });
    const done = await waitForJob(stack.gql, id);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode} ${done.errorMessage}`);
    const job = await stack.gql.request<{ job: { tapes: string[] } }>('query($id: ID!) { job(id: $id) { tapes } }', { id });
    assert.deepEqual(job.job.tapes, ['CPE002L9'], 'read from copy 2 only');
    for (const [file, sha] of hashes) {
      const restored = await readFile(path.join(target, path.relative(source, file)));
      assert.equal(createHash('sha256').update(restored).digest('hex'), sha, file);
    }
    // One usable copy left: now they are at risk.
    assert.equal((await files({ host: AGENT, pathPrefix: source, maxCopies: 1, type: 'FILE' })).length, hashes.size);
  });
});
