// A standalone drive on the real LTFS (an ltfs-file library with no changer), the test acting as the
// operator: a new cartridge is formatted when the operator inserts it for the format's request (the
// drive cannot read a blank's barcode, so the format takes it), the agent names cartridges it sees
// arrive by mounting them read-only, and a restore asks for its tape back. Real server, agent, LTFS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStack, type Stack } from '../support/stack.js';
import { startBackup, startRestore, waitForJob } from '../support/graphql-ops.js';
import { describeTree } from '../support/tree.js';
import { realLtfsUnavailable } from '../support/real-ltfs.js';

const AGENT = 'solo-ltfs';
const TAPE = 'SLT001L9';
const unavailable = await realLtfsUnavailable();

describe('a standalone drive on the real LTFS', { skip: unavailable ?? false, timeout: 300_000 }, () => {
  let stack: Stack;
  const source = () => path.join(stack.tmp, 'solo-ltfs-src');

  before(async () => {
    stack = await startStack('standalone-ltfs');
    await stack.startAgent({ name: AGENT, standalone: true, backend: 'ltfs-file', barcodes: [] });
    await mkdir(path.join(source(), 'deep', 'er'), { recursive: true });
    for (let i = 0; i < 12; i++) await writeFile(path.join(source(), i % 2 ? 'deep/er' : '', `f${i}.bin`), randomBytes(1000 + i * 50_000));
    await writeFile(path.join(source(), 'large.bin'), randomBytes(9 * 1024 * 1024));
  });
  after(async () => {
    await stack?.stop();
  });

  const until = async <T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> => {
    for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(150)) {
      const value = await probe();
      if (value) return value;
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const driveHolds = async () =>
    (
      await stack.gql.request<{ drives: { edges: { node: { loadedTape: { barcode: string } | null } }[] } }>(
        '{ drives { edges { node { loadedTape { barcode } } } } }',
      )
    ).drives.edges[0]?.node.loadedTape?.barcode ?? null;
  const openRequest = async (jobId: string) =>
    (
      await stack.gql.request<{ operatorRequests: { jobId: string; barcode: string | null; message: string }[] }>(
        '{ operatorRequests(status: OPEN) { jobId barcode message } }',
      )
    ).operatorRequests.find((r) => r.jobId === jobId);

  it('formats a new cartridge the operator inserts for the request', async () => {
    await stack.gql.request('mutation($b: String!) { registerTape(barcode: $b) { barcode } }', { b: TAPE });
    const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!, $a: String) { formatTape(barcode: $b, agent: $a) { id } }', {
      b: TAPE,
      a: AGENT,
    });
    const request = await until('the request to insert the tape', () => openRequest(r.formatTape.id));
    assert.equal(request.barcode, TAPE);
    assert.match(request.message, /drive0/);
    await stack.insertIntoDrive(AGENT, TAPE, 0);
    const done = await waitForJob(stack.gql, r.formatTape.id);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode}: ${done.errorMessage}`);
    await until('the catalog to see the formatted tape in the drive', async () => (await driveHolds()) === TAPE);
  });

  it('backs up onto it, gives it back, and a restore asks for it and reads it byte for byte', async () => {
    const backup = await waitForJob(stack.gql, await startBackup(stack.gql, { agent: AGENT, paths: [source()] }));
    assert.equal(backup.status, 'SUCCEEDED', `${backup.errorCode}: ${backup.errorMessage}`);
    const unload = await stack.gql.request<{ unloadTape: { id: string } }>('mutation($b: String) { unloadTape(barcode: $b) { id } }', { b: TAPE });
    assert.equal((await waitForJob(stack.gql, unload.unloadTape.id)).status, 'SUCCEEDED');
    await until('the drive to be empty', async () => (await driveHolds()) === null);

    const target = path.join(stack.restoreRoot, 'solo-ltfs');
    const restoreId = await startRestore(stack.gql, { selection: { host: AGENT, pathPrefix: source() }, targetDirectory: target, stripPrefix: source() });
    await until('the restore to ask for its tape', () => openRequest(restoreId));
    await stack.insertIntoDrive(AGENT, TAPE, 0);
    const restore = await waitForJob(stack.gql, restoreId);
    assert.equal(restore.status, 'SUCCEEDED', `${restore.errorCode}: ${restore.errorMessage}`);
    assert.deepEqual(await describeTree(target), await describeTree(source()));
  });

  it('a job waiting for the operator is cancelled, and its request closes', async () => {
    const other = 'SLT002L9';
    await stack.gql.request('mutation($b: String!) { registerTape(barcode: $b) { barcode } }', { b: other });
    // The drive still holds the first tape: the format ejects it and asks for its own.
    const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!, $a: String) { formatTape(barcode: $b, agent: $a) { id } }', {
      b: other,
      a: AGENT,
    });
    await until('the request to insert the second tape', () => openRequest(r.formatTape.id));
    const waiting = await stack.gql.request<{ job: { status: string } }>('query($id: ID!) { job(id: $id) { status } }', { id: r.formatTape.id });
    assert.equal(waiting.job.status, 'WAITING_FOR_TAPE');
    await until('the first tape to be ejected', async () => (await driveHolds()) === null);
    await stack.gql.request('mutation($id: ID!) { cancelJob(id: $id) { id } }', { id: r.formatTape.id });
    const done = await waitForJob(stack.gql, r.formatTape.id);
    assert.equal(done.status, 'CANCELLED');
    assert.equal(await openRequest(r.formatTape.id), undefined, 'no request stays open for a cancelled job');
  });
});
