// A restore on another agent than the one that wrote the data. Agent "writer" backs up to a pool
// with two copies; an operator carries both tapes to agent "reader"'s library (the two emulated
// libraries share one shelf, so a cartridge keeps its data when it moves); a restore naming no agent
// runs on reader and brings back every byte. Then copy 1 goes back to writer: a restore on reader
// reads copy 2, the one in its own library, and a restore naming nobody goes back to the writer.
// Real server and agent processes, real gRPC, driven through GraphQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { startStack, type Stack } from '../support/stack.js';
import { startBackup, startRestore, waitForJob } from '../support/graphql-ops.js';

const WRITER = 'writer';
const READER = 'reader';
const COPY1 = 'RXA001L9';
const COPY2 = 'RXA002L9';

describe('a restore on another agent than the writer', { timeout: 300_000 }, () => {
  let stack: Stack;
  let source: string;
  const hashes = new Map<string, string>();

  before(async () => {
    stack = await startStack('restore-elsewhere');
    const shelfDir = path.join(stack.tmp, 'shelf');
    await stack.startAgent({ name: WRITER, barcodes: [COPY1, COPY2], drives: 2, slots: 4, shelfDir });
    await stack.startAgent({ name: READER, barcodes: [], drives: 1, slots: 4, shelfDir });
    source = path.join(stack.tmp, 'ledger');
    await mkdir(path.join(source, 'years'), { recursive: true });
    for (let i = 0; i < 24; i++) {
      const body = randomBytes(i % 8 === 0 ? 1_200_000 + i : 700 + i * 131);
      // One name of 250 bytes: a restore on another host must bring it back too.
      const name = i === 5 ? `${'n'.repeat(246)}.bin` : `f${i}.bin`;
      const file = path.join(source, i % 2 ? 'years' : '', name);
      await writeFile(file, body);
      hashes.set(file, createHash('sha256').update(body).digest('hex'));
    }
    await stack.gql.request('mutation { createPool(input: { name: "both", generation: 9, copies: 2 }) { id } }');
    for (const b of [COPY1, COPY2]) {
      const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!) { formatTape(barcode: $b, pool: "both") { id } }', { b });
      assert.equal((await waitForJob(stack.gql, r.formatTape.id)).status, 'SUCCEEDED');
    }
    const backup = await waitForJob(stack.gql, await startBackup(stack.gql, { agent: WRITER, paths: [source], pool: 'both' }));
    assert.equal(backup.status, 'SUCCEEDED', `${backup.errorCode} ${backup.errorMessage}`);
  });

  after(async () => {
    await stack?.stop();
  });

  const inventory = async (agent: string) => {
    const r = await stack.gql.request<{ inventory: { id: string } }>('mutation($a: String!) { inventory(agent: $a) { id } }', { a: agent });
    assert.equal((await waitForJob(stack.gql, r.inventory.id)).status, 'SUCCEEDED');
  };
  /** What an operator does: take the cartridge out of one library and put it into the other. */
  const carry = async (barcode: string, from: string, to: string) => {
    // Left in a drive by the last job: the library sends it home first.
    const unload = await stack.gql
      .request<{ unloadTape: { id: string } }>('mutation($b: String) { unloadTape(barcode: $b) { id } }', { b: barcode })
      .catch(() => null);
    if (unload) assert.equal((await waitForJob(stack.gql, unload.unloadTape.id)).status, 'SUCCEEDED');
    await stack.moveCartridge(barcode, from, to);
    await inventory(from);
    await inventory(to);
  };
  const tapeAgent = async (barcode: string) =>
    (
      await stack.gql.request<{ tape: { location: { agent: string | null } } }>('query($b: String!) { tape(barcode: $b) { location { agent } } }', {
        b: barcode,
      })
    ).tape.location.agent;
  const restoreTo = async (name: string, agent?: string) => {
    const id = await startRestore(stack.gql, {
      ...(agent ? { agent } : {}),
      selection: { host: WRITER, pathPrefix: source },
      targetDirectory: path.join(stack.restoreRoot, name),
      stripPrefix: source,
    });
    const done = await waitForJob(stack.gql, id);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode} ${done.errorMessage}`);
    const view = await stack.gql.request<{ job: { agent: { name: string }; tapes: string[] } }>('query($id: ID!) { job(id: $id) { agent { name } tapes } }', {
      id,
    });
    for (const [file, sha] of hashes) {
      const restored = await readFile(path.join(stack.restoreRoot, name, path.relative(source, file)));
      assert.equal(createHash('sha256').update(restored).digest('hex'), sha, file);
    }
    return view.job;
  };

  it('restores on the agent holding the tapes, without being told which, every byte', async () => {
    await carry(COPY1, WRITER, READER);
    await carry(COPY2, WRITER, READER);
    assert.equal(await tapeAgent(COPY1), READER);
    assert.equal(await tapeAgent(COPY2), READER);
    const job = await restoreTo('moved');
    assert.equal(job.agent.name, READER);
    assert.deepEqual(job.tapes, [COPY1]);
  });

  it('with copy 1 back on the writer, a restore on the reader reads copy 2, and one naming nobody goes to the writer', async () => {
    await carry(COPY1, READER, WRITER);
    assert.equal(await tapeAgent(COPY1), WRITER);
    const onReader = await restoreTo('copy-2', READER);
    assert.equal(onReader.agent.name, READER);
    assert.deepEqual(onReader.tapes, [COPY2]);
    // Each holds a complete copy: the one that wrote the data takes it.
    const anywhere = await restoreTo('anywhere');
    assert.equal(anywhere.agent.name, WRITER);
    assert.deepEqual(anywhere.tapes, [COPY1]);
  });
});
