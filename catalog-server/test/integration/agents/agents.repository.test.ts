import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../catalog-fixture.js';

let f: CatalogFixture;
before(async () => {
  f = await createCatalogFixture('agents_repo');
});
after(async () => {
  await f.close();
});

const counts = async () => ({
  agents: await f.prisma.client.agent.count(),
  drives: await f.prisma.client.drive.count(),
  changers: await f.prisma.client.changer.count(),
  tapes: await f.prisma.client.tape.count(),
});

test('re-registering the same inventory duplicates nothing and keeps ids', async () => {
  const req = libraryRequest('dup-agent', ['DUP001L9', 'DUP002L9', 'DUP003L9']);
  const id1 = await f.register(req);
  const before = await counts();
  const drives1 = await f.prisma.client.drive.findMany({ where: { agentId: id1 }, orderBy: { name: 'asc' } });
  const id2 = await f.register(req);
  const id3 = await f.register(req);
  assert.equal(id2, id1);
  assert.equal(id3, id1);
  assert.deepEqual(await counts(), before);
  assert.deepEqual(before, { agents: 1, drives: 2, changers: 1, tapes: 3 });
  const drives2 = await f.prisma.client.drive.findMany({ where: { agentId: id1 }, orderBy: { name: 'asc' } });
  assert.deepEqual(
    drives2.map((d) => d.id),
    drives1.map((d) => d.id),
  );
});

test('a re-register moves tapes: into a drive, and off to the shelf when no longer reported', async () => {
  const id = await f.register(libraryRequest('mover', ['MOV001L9', 'MOV002L9', 'MOV003L9']));
  // MOV001 went into drive1 (its slot is empty now); MOV003 was taken out of the library.
  await f.register(libraryRequest('mover', ['', 'MOV002L9'], { loaded: { drive1: 'MOV001L9' } }));
  const tapes = await f.prisma.client.tape.findMany({ where: { barcode: { startsWith: 'MOV' } }, include: { loadedIn: true }, orderBy: { barcode: 'asc' } });
  const [t1, t2, t3] = tapes;
  assert.equal(t1.agentId, id);
  assert.equal(t1.loadedIn?.name, 'drive1');
  assert.equal(t1.slot, 1, 'a tape in a drive keeps its home slot');
  assert.equal(t2.slot, 2);
  assert.equal(t3.agentId, null);
  assert.equal(t3.slot, null);
  assert.equal(t3.changerId, null);
});

test("a tape that shows up in another agent's library leaves the first agent's drive", async () => {
  await f.register(libraryRequest('first', [], { loaded: { drive0: 'WAN001L9' } }));
  const second = await f.register(libraryRequest('second', ['WAN001L9']));
  const tape = await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'WAN001L9' }, include: { loadedIn: true } });
  assert.equal(tape.agentId, second);
  assert.equal(tape.slot, 1);
  assert.equal(tape.loadedIn, null);
});

test('what the agent read is kept; a barcode-only sighting does not erase it', async () => {
  await f.register(
    libraryRequest('reader', ['REA001L9'], {
      tapes: [
        {
          barcode: 'REA001L9',
          generation: 9,
          capacityBytes: 5000,
          usedBytes: 1234,
          formatted: true,
          volumeUuid: '0e6bd2b1-2c2a-4a8e-9d4c-2b8f0d9b7e11',
          detailsKnown: true,
        },
      ],
    }),
  );
  await f.register(libraryRequest('reader', ['REA001L9']));
  const tape = await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'REA001L9' } });
  assert.equal(tape.usedBytes, 1234n);
  assert.equal(tape.capacityBytes, 5000n);
  assert.ok(tape.formattedAt);
  assert.equal(tape.volumeUuid, '0e6bd2b1-2c2a-4a8e-9d4c-2b8f0d9b7e11');
});

test('heartbeats: only the current session counts; stale agents go offline', async () => {
  const s1 = crypto.randomUUID();
  const s2 = crypto.randomUUID();
  const id = await f.register(libraryRequest('beater', ['BEA001L9']), s1);
  await f.register(libraryRequest('beater', ['BEA001L9']), s2);
  const seenBefore = (await f.agents.findById(id))!.lastSeenAt;
  const later = new Date(Date.now() + 60_000);
  assert.equal(await f.agents.heartbeat(id, s1, [], later), false);
  assert.deepEqual((await f.agents.findById(id))!.lastSeenAt, seenBefore);
  assert.equal(await f.agents.heartbeat(id, s2, [{ name: 'drive0', state: 'LOADED', loadedBarcode: 'BEA001L9' }], later), true);
  const drive = await f.prisma.client.drive.findFirstOrThrow({ where: { agentId: id, name: 'drive0' }, include: { loadedTape: true } });
  assert.equal(drive.state, 'LOADED');
  assert.equal(drive.loadedTape?.barcode, 'BEA001L9');
  assert.equal(await f.agents.heartbeat('00000000-0000-0000-0000-000000000000', s2, [], later), false);

  const offline = await f.agents.markStaleOffline(new Date(later.getTime() + 1));
  assert.ok(offline.some((a) => a.id === id));
  assert.equal((await f.agents.findById(id))!.online, false);
  const drivesAfter = await f.prisma.client.drive.findMany({ where: { agentId: id } });
  assert.ok(drivesAfter.length > 0 && drivesAfter.every((d) => d.state === 'OFFLINE'), 'the drives of an offline agent are OFFLINE');
  assert.deepEqual(await f.agents.markStaleOffline(new Date(later.getTime() + 1)), [], 'already offline agents are not reported again');
  await f.register(libraryRequest('beater', ['BEA001L9']), s2);
  assert.ok(
    (await f.prisma.client.drive.findMany({ where: { agentId: id } })).every((d) => d.state !== 'OFFLINE'),
    'registering again brings them back',
  );
});
