// Two agents, each with its own emulated library, managed through one GraphQL endpoint the way an
// operator would: one view of every drive and tape, inventory, move, load, format, a backup to a
// tape in the second agent's library, unload, cleaning a drive that asks for it, operator requests
// that jobs (load, restore, format, backup) wait on until an inventory finds the tape,
// retire/offsite, and bad input that changes nothing. Real server and agent processes, real
// PostgreSQL, gRPC on loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { allFiles, errorCodeOf, formatTape, job, startBackup, startRestore, waitForJob } from '../support/graphql-ops.js';

const A = 'tape-a';
const B = 'tape-b';

interface TapeView {
  barcode: string;
  state: string;
  cleaning: boolean;
  formatted: boolean;
  location: {
    agent: string | null;
    changer: string | null;
    slot: number | null;
    drive: string | null;
    onShelf: boolean;
    offsite: boolean;
    offsiteLocation: string | null;
  };
}
interface DriveView {
  name: string;
  state: string;
  alerts: string[];
  agent: { name: string };
  loadedTape: { barcode: string } | null;
}

const TAPE_FIELDS = 'barcode state cleaning formatted location { agent changer slot drive onShelf offsite offsiteLocation }';

describe('two agents, two libraries, one GraphQL endpoint', { timeout: 600_000 }, () => {
  let stack: Stack;
  let source: string;

  const tape = async (barcode: string) =>
    (await stack.gql.request<{ tape: TapeView }>(`query($b: String!) { tape(barcode: $b) { ${TAPE_FIELDS} } }`, { b: barcode })).tape;
  const drives = async () =>
    (
      await stack.gql.request<{ drives: { edges: Array<{ node: DriveView }> } }>(
        '{ drives { edges { node { name state alerts agent { name } loadedTape { barcode } } } } }',
      )
    ).drives.edges.map((e) => e.node);
  const drive = async (agent: string, name: string) => (await drives()).find((d) => d.agent.name === agent && d.name === name)!;
  const mutate = async (field: string, args: string, vars: Record<string, unknown>, sig: string) =>
    (await stack.gql.request<Record<string, { id: string }>>(`mutation(${sig}) { ${field}(${args}) { id } }`, vars))[field].id;
  const succeeded = async (id: string) => {
    const done = await waitForJob(stack.gql, id);
    assert.equal(done.status, 'SUCCEEDED', `${done.kind} ${id}: ${done.errorCode}: ${done.errorMessage}`);
    return done;
  };
  const libraryFile = (agent: string) => path.join(stack.tmp, 'agents', agent, 'library', 'library.json');
  /** What a person does at the library (insert a cartridge, a drive raising a TapeAlert): edit the emulator's state file. */
  const editLibrary = async (
    agent: string,
    change: (state: { slots: (string | null)[]; drives: Array<{ barcode: string | null; alerts?: string[] }> }) => void,
  ) => {
    const file = libraryFile(agent);
    const state = JSON.parse(await readFile(file, 'utf8'));
    change(state);
    await writeFile(`${file}.tmp`, JSON.stringify(state));
    await rename(`${file}.tmp`, file);
  };

  before(async () => {
    stack = await startStack('two-libraries');
    source = path.join(stack.tmp, 'b-data');
    await mkdir(path.join(source, 'sub'), { recursive: true });
    await writeFile(path.join(source, 'a.txt'), 'first file on tape-b\n');
    await writeFile(path.join(source, 'sub', 'b.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
    await stack.startAgent({ name: A, barcodes: ['FER001L9', 'FER002L9', 'FER003L9', 'CLN001L1'] });
    await stack.startAgent({ name: B, barcodes: ['FER101L9', 'FER102L9', 'FER103L9'], importExportSlots: 1 });
  });

  after(async () => {
    await stack?.stop();
  });

  it('shows every drive and tape of both agents in one view', async () => {
    const all = await drives();
    assert.deepEqual(all.map((d) => `${d.agent.name}/${d.name}:${d.state}`).sort(), [
      `${A}/drive0:EMPTY`,
      `${A}/drive1:EMPTY`,
      `${B}/drive0:EMPTY`,
      `${B}/drive1:EMPTY`,
    ]);
    const tapes = (await stack.gql.request<{ tapes: { edges: Array<{ node: TapeView }> } }>(`{ tapes { edges { node { ${TAPE_FIELDS} } } } }`)).tapes.edges.map(
      (e) => e.node,
    );
    const where = Object.fromEntries(tapes.map((t) => [t.barcode, `${t.location.agent}/${t.location.changer}/${t.location.slot}`]));
    assert.deepEqual(where, {
      CLN001L1: `${A}/${A}-lib/4`,
      FER001L9: `${A}/${A}-lib/1`,
      FER002L9: `${A}/${A}-lib/2`,
      FER003L9: `${A}/${A}-lib/3`,
      FER101L9: `${B}/${B}-lib/1`,
      FER102L9: `${B}/${B}-lib/2`,
      FER103L9: `${B}/${B}-lib/3`,
    });
    assert.equal(tapes.find((t) => t.barcode === 'CLN001L1')?.cleaning, true);
  });

  it('inventories, moves, loads and formats a tape in the second library, then backs up to it', async () => {
    await succeeded(await mutate('inventory', 'agent: $a', { a: B }, '$a: String!'));

    await succeeded(await mutate('moveTape', 'barcode: $b, toSlot: $s', { b: 'FER101L9', s: 5 }, '$b: String!, $s: Int!'));
    assert.deepEqual((await tape('FER101L9')).location.slot, 5);
    // The move ran in one of tape-b's drives, which heartbeats report BUSY until the beat after the
    // job; a load refuses a BUSY drive, so wait for that beat (it can lag on a loaded machine).
    await waitFor('the drives of tape-b to be idle', async () => (await drives()).every((d) => d.agent.name !== B || d.state !== 'BUSY'), 30_000);

    await succeeded(await mutate('loadTape', 'barcode: $b, drive: $d', { b: 'FER101L9', d: 'drive0' }, '$b: String!, $d: String'));
    const loaded = await tape('FER101L9');
    assert.equal(loaded.location.drive, 'drive0');
    assert.equal(loaded.location.agent, B);
    assert.equal((await drive(B, 'drive0')).loadedTape?.barcode, 'FER101L9');

    await succeeded(await formatTape(stack.gql, 'FER101L9'));
    assert.equal((await tape('FER101L9')).formatted, true);

    // The backup's source is agent B: its paths are read there and written to a tape in B's library.
    const backup = await succeeded(await startBackup(stack.gql, { agent: B, paths: [source], tape: 'FER101L9' }));
    assert.equal(backup.progress?.bytesDone, backup.progress?.bytesTotal);
    const files = await allFiles(stack.gql, { host: B, pathPrefix: source });
    const bin = files.find((f) => f.name === 'b.bin');
    assert.ok(bin, 'the backed-up file is in the catalog');
    assert.deepEqual(
      bin.placements.map((p) => p.barcode),
      ['FER101L9'],
    );

    await succeeded(await mutate('unloadTape', 'barcode: $b', { b: 'FER101L9' }, '$b: String'));
    const home = await tape('FER101L9');
    assert.equal(home.location.drive, null);
    assert.equal(home.location.slot, 5);
    assert.equal((await drive(B, 'drive0')).loadedTape, null);
  });

  it('exports a tape through the mail slot, sends it offsite, and a restore from it waits until it is back', async () => {
    const slots = await stack.gql.request<{ agent: { changers: Array<{ slots: Array<{ slot: number; importExport: boolean }> }> } }>(
      `{ agent(name: "${B}") { changers { slots { slot importExport } } } }`,
    );
    assert.deepEqual(
      slots.agent.changers[0].slots.filter((s) => s.importExport).map((s) => s.slot),
      [8],
    );
    await succeeded(await mutate('moveTape', 'barcode: $b, toSlot: $s', { b: 'FER101L9', s: 8 }, '$b: String!, $s: Int!'));
    // Someone takes it out of the mail slot; the next inventory puts it on the shelf.
    await editLibrary(B, (s) => {
      s.slots[7] = null;
    });
    await succeeded(await mutate('inventory', 'agent: $a', { a: B }, '$a: String!'));
    assert.equal((await tape('FER101L9')).location.onShelf, true);
    const off = await stack.gql.request<{ markOffsite: TapeView }>(`mutation { markOffsite(barcode: "FER101L9", location: "vault A") { ${TAPE_FIELDS} } }`);
    assert.equal(off.markOffsite.state, 'OFFSITE');

    const target = path.join(stack.restoreRoot, 'from-offsite');
    const restoreId = await startRestore(stack.gql, { agent: B, selection: { host: B, pathPrefix: source }, targetDirectory: target, stripPrefix: source });
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = await stack.gql.request<{ job: { status: string; queueReason: string } }>('query($id: ID!) { job(id: $id) { status queueReason } }', {
      id: restoreId,
    });
    assert.equal(waiting.job.status, 'QUEUED');
    assert.match(waiting.job.queueReason, /insert tape FER101L9 into library tape-b-lib on host tape-b\.test/);

    await editLibrary(B, (s) => {
      s.slots[7] = 'FER101L9';
    });
    await succeeded(await mutate('inventory', 'agent: $a', { a: B }, '$a: String!'));
    await succeeded(restoreId);
    assert.deepEqual(await readFile(path.join(target, 'sub', 'b.bin')), Buffer.alloc(3 * 1024 * 1024, 7));
    const back = await tape('FER101L9');
    assert.deepEqual([back.state, back.location.offsite, back.location.agent], ['ACTIVE', false, B], 'back from offsite, holding files');
  });

  it('a format and a backup naming a shelf tape wait for it, and go on once an inventory finds it', async () => {
    const queued = async (id: string) =>
      (await stack.gql.request<{ job: { status: string; queueReason: string } }>('query($id: ID!) { job(id: $id) { status queueReason } }', { id })).job;
    /** Someone pulls FER102L9 out of slot 2 of tape-b (or pushes it back in); an inventory notices. */
    const pull = () => editLibrary(B, (s) => void (s.slots[1] = null));
    const pushBack = () => editLibrary(B, (s) => void (s.slots[1] = 'FER102L9'));

    await pull();
    await succeeded(await mutate('inventory', 'agent: $a', { a: B }, '$a: String!'));
    assert.equal((await tape('FER102L9')).location.onShelf, true);

    // No agent named: the request goes to the library that held the tape last.
    const formatId = await formatTape(stack.gql, 'FER102L9');
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = await queued(formatId);
    assert.equal(waiting.status, 'QUEUED');
    assert.match(waiting.queueReason, /waiting for an operator: insert tape FER102L9 into library tape-b-lib on host tape-b\.test/);
    await pushBack();
    await succeeded(await mutate('inventory', 'agent: $a', { a: B }, '$a: String!'));
    await succeeded(formatId);
    assert.equal((await tape('FER102L9')).formatted, true);
    // The format leaves it in a drive: home to slot 2 first, or nobody could pull it out.
    const unload = () => mutate('unloadTape', 'barcode: $b', { b: 'FER102L9' }, '$b: String');
    await succeeded(await unload());

    // Formatted, then out again: a backup naming it waits in its source agent's library.
    const fresh = path.join(stack.tmp, 'b-data-2');
    await mkdir(fresh, { recursive: true });
    await writeFile(path.join(fresh, 'c.txt'), 'written to a tape that was on the shelf\n');
    // Still in tape-b's library, it cannot take a backup of tape-a (no cross-agent data path).
    assert.equal(await errorCodeOf(startBackup(stack.gql, { agent: A, paths: [fresh], tape: 'FER102L9' })), 'TAPE_NOT_IN_LIBRARY');
    await pull();
    await succeeded(await mutate('inventory', 'agent: $a', { a: B }, '$a: String!'));
    assert.equal((await tape('FER102L9')).location.onShelf, true);
    const backupId = await startBackup(stack.gql, { agent: B, paths: [fresh], tape: 'FER102L9' });
    await new Promise((r) => setTimeout(r, 1500));
    const backupWaiting = await queued(backupId);
    assert.equal(backupWaiting.status, 'QUEUED');
    assert.match(backupWaiting.queueReason, /insert tape FER102L9 into library tape-b-lib on host tape-b\.test/);
    await pushBack();
    await succeeded(await mutate('inventory', 'agent: $a', { a: B }, '$a: String!'));
    await succeeded(backupId);
    const files = await allFiles(stack.gql, { host: B, pathPrefix: fresh });
    assert.deepEqual(
      files.find((f) => f.name === 'c.txt')?.placements.map((p) => p.barcode),
      ['FER102L9'],
    );
    await succeeded(await unload());
    const open = await stack.gql.request<{ operatorRequests: unknown[] }>('{ operatorRequests(status: OPEN) { id } }');
    assert.equal(open.operatorRequests.length, 0);
  });

  it('cleans a drive that raised CLEAN_NOW, and only when asked for', async () => {
    await editLibrary(A, (s) => {
      s.drives[1].alerts = ['CLEAN_NOW'];
    });
    await waitFor('drive1 of tape-a to ask for cleaning', async () => (await drive(A, 'drive1')).state === 'NEEDS_CLEANING', 30_000);
    assert.deepEqual((await drive(A, 'drive1')).alerts, ['CLEAN_NOW']);
    assert.equal(
      await errorCodeOf(mutate('cleanDrive', 'agent: $a, drive: $d', { a: A, d: 'drive0' }, '$a: String!, $d: String!')),
      'DRIVE_DOES_NOT_NEED_CLEANING',
    );

    const clean = await succeeded(await mutate('cleanDrive', 'agent: $a, drive: $d', { a: A, d: 'drive1' }, '$a: String!, $d: String!'));
    assert.equal(clean.kind, 'CLEAN');
    await waitFor(
      'drive1 of tape-a to be clean',
      async () => {
        const d = await drive(A, 'drive1');
        return d.state === 'EMPTY' && d.alerts.length === 0;
      },
      30_000,
    );
    const cln = await tape('CLN001L1');
    assert.equal(cln.location.slot, 4, 'the cleaning cartridge went back to its slot');
    assert.equal(cln.location.drive, null);
  });

  it('waits for an operator to insert a tape from the shelf, and continues once an inventory finds it', async () => {
    await stack.gql.request('mutation { registerTape(barcode: "FER009L9") { barcode } }');
    assert.equal((await tape('FER009L9')).location.onShelf, true);

    const ws = createClient({
      url: stack.graphqlUrl.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${stack.adminToken}` },
    });
    const seen: Array<{ status: string; barcode: string }> = [];
    const satisfied = new Promise<void>((resolve, reject) => {
      ws.subscribe<{ operatorRequestUpdated: { status: string; barcode: string } }>(
        { query: 'subscription { operatorRequestUpdated { status barcode message } }' },
        {
          next: (msg) => {
            const r = msg.data?.operatorRequestUpdated;
            if (r) seen.push(r);
            if (r?.status === 'SATISFIED' && r.barcode === 'FER009L9') resolve();
          },
          error: reject,
          complete: () => {},
        },
      );
    });
    // Let the subscription reach the server before anything happens.
    await new Promise((r) => setTimeout(r, 500));

    const loadId = await mutate('loadTape', 'barcode: $b, agent: $a', { b: 'FER009L9', a: A }, '$b: String!, $a: String');
    const open = await stack.gql.request<{ operatorRequests: Array<{ barcode: string; message: string; jobId: string; agent: string }> }>(
      '{ operatorRequests(status: OPEN) { barcode message jobId agent } }',
    );
    assert.equal(open.operatorRequests.length, 1);
    assert.equal(open.operatorRequests[0].jobId, loadId);
    assert.match(open.operatorRequests[0].message, /^insert tape FER009L9 into library tape-a-lib on host tape-a\.test/);

    // The job waits: it stays QUEUED with the request as its reason, however long we look.
    await new Promise((r) => setTimeout(r, 2500));
    const waiting = await stack.gql.request<{ job: { status: string; queueReason: string } }>('query($id: ID!) { job(id: $id) { status queueReason } }', {
      id: loadId,
    });
    assert.equal(waiting.job.status, 'QUEUED');
    assert.match(waiting.job.queueReason, /waiting for an operator: insert tape FER009L9/);

    // Someone puts the cartridge into slot 6 and asks for an inventory.
    await editLibrary(A, (s) => {
      s.slots[5] = 'FER009L9';
    });
    await succeeded(await mutate('inventory', 'agent: $a', { a: A }, '$a: String!'));
    await satisfied;
    await ws.dispose();
    assert.deepEqual(
      seen.filter((r) => r.barcode === 'FER009L9').map((r) => r.status),
      ['OPEN', 'SATISFIED'],
    );

    await succeeded(loadId);
    const t = await tape('FER009L9');
    assert.equal(t.location.agent, A);
    assert.ok(t.location.drive, 'the tape is in a drive now');
    // The agent's heartbeats report the drive LOADED (not BUSY) once the job is over.
    await waitFor('the drive to settle as LOADED', async () => (await drive(A, t.location.drive!)).state === 'LOADED', 30_000);
    const left = await stack.gql.request<{ operatorRequests: unknown[] }>('{ operatorRequests(status: OPEN) { id } }');
    assert.equal(left.operatorRequests.length, 0);
  });

  it('retires a tape and records an offsite one (catalog-only)', async () => {
    const retired = await stack.gql.request<{ retireTape: TapeView }>(`mutation { retireTape(barcode: "FER003L9") { ${TAPE_FIELDS} } }`);
    assert.equal(retired.retireTape.state, 'RETIRED');
    assert.equal(await errorCodeOf(mutate('loadTape', 'barcode: $b', { b: 'FER003L9' }, '$b: String!')), 'TAPE_RETIRED');

    await stack.gql.request('mutation { registerTape(barcode: "FER010L9") { barcode } }');
    const offsite = await stack.gql.request<{ markOffsite: TapeView }>(`mutation { markOffsite(barcode: "FER010L9", location: "vault B") { ${TAPE_FIELDS} } }`);
    assert.equal(offsite.markOffsite.state, 'OFFSITE');
    assert.deepEqual([offsite.markOffsite.location.offsite, offsite.markOffsite.location.offsiteLocation], [true, 'vault B']);
  });

  it('refuses bad input with stable codes and changes nothing', async () => {
    const count = async () => (await stack.gql.request<{ jobs: { totalCount: number } }>('{ jobs { totalCount } }')).jobs.totalCount;
    const before = await count();
    const beforeTapes = await stack.gql.request(`{ tapes { edges { node { ${TAPE_FIELDS} } } } }`);
    // FER009L9 (loaded by the operator-request test) occupies a drive of tape-a.
    const occupied = (await drives()).find((d) => d.agent.name === A && d.loadedTape)!;
    const load = (b: string, d?: string) => mutate('loadTape', 'barcode: $b, drive: $d', { b, d }, '$b: String!, $d: String');
    assert.equal(await errorCodeOf(load('FER002L9', occupied.name)), 'DRIVE_OCCUPIED');
    assert.equal(await errorCodeOf(load('NOPE01L9')), 'TAPE_NOT_FOUND');
    assert.equal(await errorCodeOf(load('CLN001L1')), 'TAPE_IS_CLEANING_CARTRIDGE');
    assert.equal(await errorCodeOf(load('FER002L9', 'drive9')), 'DRIVE_NOT_FOUND');
    assert.equal(await errorCodeOf(load('FER010L9')), 'TAPE_NOT_IN_LIBRARY');
    assert.equal(await errorCodeOf(formatTape(stack.gql, 'CLN001L1')), 'TAPE_IS_CLEANING_CARTRIDGE');
    assert.equal(await errorCodeOf(formatTape(stack.gql, 'FER101L9')), 'TAPE_NOT_EMPTY');
    // FER010L9 never was in a library: nobody knows where to ask for it.
    assert.equal(await errorCodeOf(formatTape(stack.gql, 'FER010L9', true)), 'TAPE_AGENT_UNKNOWN');
    assert.equal(await errorCodeOf(formatTape(stack.gql, 'FER003L9', true)), 'TAPE_RETIRED');
    const move = (b: string, s: number) => mutate('moveTape', 'barcode: $b, toSlot: $s', { b, s }, '$b: String!, $s: Int!');
    assert.equal(await errorCodeOf(move('FER102L9', 3)), 'SLOT_OCCUPIED');
    assert.equal(await errorCodeOf(move('FER102L9', 99)), 'INVALID_SLOT');
    assert.equal(await errorCodeOf(move('NOPE01L9', 6)), 'TAPE_NOT_FOUND');
    assert.equal(await errorCodeOf(mutate('checkTape', 'barcode: $b', { b: 'CLN001L1' }, '$b: String!')), 'TAPE_IS_CLEANING_CARTRIDGE');
    assert.equal(await errorCodeOf(mutate('checkTape', 'barcode: $b, rollbackGeneration: 2', { b: 'FER101L9' }, '$b: String!')), 'INVALID_ARGUMENT');
    assert.equal(await errorCodeOf(stack.gql.request('mutation { markOffsite(barcode: "FER002L9") { barcode } }')), 'TAPE_IN_LIBRARY');
    assert.equal(await errorCodeOf(mutate('inventory', 'agent: $a, library: $l', { a: A, l: 'nope' }, '$a: String!, $l: String')), 'LIBRARY_NOT_FOUND');
    assert.equal(await count(), before, 'no job was created by bad input');
    assert.deepEqual(await stack.gql.request(`{ tapes { edges { node { ${TAPE_FIELDS} } } } }`), beforeTapes, 'no tape changed');
  });

  it('checks a tape and records the result', async () => {
    const id = await mutate('checkTape', 'barcode: $b', { b: 'FER101L9' }, '$b: String!');
    await succeeded(id);
    const t = await stack.gql.request<{ tape: { lastCheckedAt: string | null; lastCheckResult: string | null } }>(
      '{ tape(barcode: "FER101L9") { lastCheckedAt lastCheckResult } }',
    );
    assert.ok(t.tape.lastCheckedAt);
    assert.match(t.tape.lastCheckResult ?? '', /^CONSISTENT/);
    assert.equal((await job(stack.gql, id)).kind, 'CHECK');
  });
});
