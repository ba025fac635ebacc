// A standalone drive (no changer) runs every job, with the test as the operator: cartridges go
// straight into the drive and the agent notices them by itself (it polls and reports the inventory);
// a job that needs another cartridge asks for it with an operator request naming the drive and the
// host; a backup that fills its tape ejects it and asks for a scratch tape of its pool; a wrong
// cartridge is reported (WRONG_CARTRIDGE), never written to, and ejected. Real server and agent
// processes, one emulated standalone drive with small cartridges (32 MiB).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStack, type Stack } from '../support/stack.js';
import { allFiles, startBackup, startRestore, waitForJob } from '../support/graphql-ops.js';

const AGENT = 'solo';
const [T1, T2, WRONG] = ['SOL001L9', 'SOL002L9', 'SOL009L9'];
const MiB = 1024 * 1024;

interface Request {
  jobId: string;
  barcode: string | null;
  pool: string | null;
  message: string;
  status: string;
}

describe('a standalone drive', { timeout: 300_000 }, () => {
  let stack: Stack;
  const source = () => path.join(stack.tmp, 'solo-src');
  const hashes = new Map<string, string>();

  before(async () => {
    stack = await startStack('standalone');
    await stack.startAgent({ name: AGENT, standalone: true, barcodes: [], capacityBytes: 32 * MiB, earlyWarningBytes: 4 * MiB });
    await stack.gql.request(`mutation { createPool(input: { name: "solo", generation: 9 }) { id } }`);
    // ~40 MiB in 2 MiB files: more than one 32 MiB cartridge with a 4 MiB early-warning zone.
    await mkdir(source(), { recursive: true });
    for (let i = 0; i < 20; i++) {
      const body = randomBytes(2 * MiB - i);
      const file = path.join(source(), `part-${String(i).padStart(2, '0')}.bin`);
      await writeFile(file, body);
      hashes.set(file, createHash('sha256').update(body).digest('hex'));
    }
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
  const tape = async (barcode: string) =>
    (
      await stack.gql.request<{ tape: { state: string; location: { drive: string | null } | null } | null }>(
        'query($b: String!) { tape(barcode: $b) { state location { drive } } }',
        { b: barcode },
      )
    ).tape;
  const driveHolds = async () =>
    (
      await stack.gql.request<{ drives: { edges: { node: { name: string; loadedTape: { barcode: string } | null } }[] } }>(
        '{ drives { edges { node { name loadedTape { barcode } } } } }',
      )
    ).drives.edges[0]?.node.loadedTape?.barcode ?? null;
  const insert = async (barcode: string) => {
    await stack.insertIntoDrive(AGENT, barcode);
    await until(`the catalog to see ${barcode} in the drive`, async () => (await driveHolds()) === barcode);
  };
  const eject = async () => {
    await stack.ejectFromDrive(AGENT);
    await until('the catalog to see the drive empty', async () => (await driveHolds()) === null);
  };
  const format = async (barcode: string) => {
    const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!) { formatTape(barcode: $b, pool: "solo") { id } }', { b: barcode });
    const done = await waitForJob(stack.gql, r.formatTape.id);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode}: ${done.errorMessage}`);
  };
  const openRequests = async (jobId: string) =>
    (
      await stack.gql.request<{ operatorRequests: Request[] }>('{ operatorRequests(status: OPEN) { jobId barcode pool message status } }')
    ).operatorRequests.filter((r) => r.jobId === jobId);
  const status = async (id: string) => (await stack.gql.request<{ job: { status: string } }>('query($id: ID!) { job(id: $id) { status } }', { id })).job.status;

  it('formats cartridges inserted by hand', async () => {
    await insert(T1);
    await format(T1);
    await eject();
    await insert(T2);
    await format(T2);
    await eject();
    assert.equal((await tape(T1))?.state, 'SCRATCH');
    await insert(T1);
  });

  it('backs up onto two cartridges, asking for the second, refusing a wrong one, and restores asking for each', async () => {
    const id = await startBackup(stack.gql, { agent: AGENT, paths: [source()], pool: 'solo' });
    // T1 fills: the agent ejects it and the job waits for a scratch tape of the pool in drive0.
    const [request] = await until(
      'the request for a next tape',
      async () => {
        const open = await openRequests(id);
        return open.length ? open : null;
      },
      120_000,
    );
    assert.equal(request.barcode, null);
    assert.equal(request.pool, 'solo');
    assert.match(request.message, /into drive drive0 on host solo\.test/);
    assert.equal(await status(id), 'WAITING_FOR_TAPE');
    await until('the agent to eject the full tape', async () => (await driveHolds()) === null);
    assert.equal((await tape(T1))?.state, 'FULL');

    // A blank cartridge is no tape of the pool: reported, not written to, ejected.
    await stack.insertIntoDrive(AGENT, WRONG);
    const wrong = await until('the WRONG_CARTRIDGE report', async () => {
      const { job } = await stack.gql.request<{ job: { events: { message: string }[] } }>('query($id: ID!) { job(id: $id) { events { message } } }', { id });
      return job.events.find((e) => e.message.startsWith(`WRONG_CARTRIDGE: ${WRONG}`));
    });
    assert.match(wrong.message, /not written to/);
    await until('the agent to eject the wrong cartridge', async () => (await driveHolds()) === null);
    const wrongState = JSON.parse(await readFile(path.join(stack.libraryDirOf(AGENT), 'cartridges', WRONG, 'cartridge.json'), 'utf8')) as {
      formatted: boolean;
    };
    assert.equal(wrongState.formatted, false);
    assert.equal(await status(id), 'WAITING_FOR_TAPE');

    await stack.insertIntoDrive(AGENT, T2);
    const done = await waitForJob(stack.gql, id, 120_000);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode}: ${done.errorMessage}`);
    const { job } = await stack.gql.request<{ job: { tapes: string[] } }>('query($id: ID!) { job(id: $id) { tapes } }', { id });
    assert.deepEqual(job.tapes, [T1, T2]);
    assert.equal((await openRequests(id)).length, 0);

    const files = await allFiles(stack.gql, { host: AGENT, pathPrefix: source(), type: 'FILE' });
    assert.equal(files.length, hashes.size);
    assert.deepEqual([...new Set(files.flatMap((f) => f.placements.map((p) => p.barcode)))].sort(), [T1, T2]);

    // The restore needs both: the test plays the operator, inserting whatever is asked for.
    const target = path.join(stack.restoreRoot, 'solo');
    const restoreId = await startRestore(stack.gql, {
      agent: AGENT,
      selection: { host: AGENT, pathPrefix: source() },
      targetDirectory: target,
      stripPrefix: source(),
    });
    const asked: string[] = [];
    for (const end = Date.now() + 180_000; Date.now() < end; await sleep(200)) {
      const s = await status(restoreId);
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s)) break;
      const open = (await openRequests(restoreId)).filter((r) => r.barcode);
      if (open.length === 0) continue;
      const wanted = open[0].barcode!;
      assert.match(open[0].message, new RegExp(`^insert tape ${wanted} into drive drive0 on host solo\\.test`));
      const holding = await driveHolds();
      if (holding === wanted) continue;
      if (!asked.includes(wanted)) asked.push(wanted);
      if (holding) await stack.ejectFromDrive(AGENT).catch(() => undefined);
      await stack.insertIntoDrive(AGENT, wanted).catch(() => undefined);
      await sleep(500);
    }
    const restore = await waitForJob(stack.gql, restoreId, 10_000);
    assert.equal(restore.status, 'SUCCEEDED', `${restore.errorCode}: ${restore.errorMessage}`);
    assert.ok(asked.includes(T1), `asked for ${asked.join(', ')}`);
    for (const [file, sha] of hashes) {
      const body = await readFile(path.join(target, path.relative(source(), file)));
      assert.equal(createHash('sha256').update(body).digest('hex'), sha, file);
    }
  });

  it('ejects the cartridge of a standalone drive for the operator (unloadTape)', async () => {
    const holding = await until('a cartridge in the drive', driveHolds);
    const r = await stack.gql.request<{ unloadTape: { id: string } }>('mutation($b: String!) { unloadTape(barcode: $b) { id } }', { b: holding });
    const done = await waitForJob(stack.gql, r.unloadTape.id);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode}: ${done.errorMessage}`);
    await until('the drive to be empty', async () => (await driveHolds()) === null);
  });
});
