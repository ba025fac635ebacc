import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriveBackend, DriveState, RegisterRequest, type DeepPartial } from '@ferrite/proto';
import { FerriteError } from '../../../src/common/errors.js';
import { parseRegistration } from '../../../src/modules/agents/registration.js';

type Partial = DeepPartial<RegisterRequest>;

const request = (over: Partial = {}) =>
  RegisterRequest.fromPartial<Partial>({
    agentName: 'tape-01',
    hostname: 'host1',
    version: '0.1.0',
    changers: [
      {
        name: 'lib0',
        serial: 'S',
        slotCount: 4,
        slots: [
          { slot: 2, barcode: 'FER002L9' },
          { slot: 1, barcode: 'FER001L9' },
          { slot: 4, barcode: '', importExport: true },
        ],
      },
    ],
    drives: [
      {
        name: 'drive0',
        backend: DriveBackend.DRIVE_BACKEND_EMULATED,
        state: DriveState.DRIVE_STATE_LOADED,
        loadedBarcode: 'FER003L9',
        changerName: 'lib0',
        generation: 9,
      },
      { name: 'drive1', backend: DriveBackend.DRIVE_BACKEND_LTFS, changerName: 'lib0', generation: 9 },
    ],
    tapes: [
      { barcode: 'FER001L9', generation: 9, capacityBytes: 1000, usedBytes: 10, formatted: true, volumeUuid: 'not-a-uuid', detailsKnown: true },
      { barcode: 'FER002L9', generation: 9, usedBytes: 99, formatted: false, detailsKnown: false },
    ],
    allowedRestoreRoots: ['/restore/', '/srv'],
    ...over,
  });

test('one sighting per barcode from tapes, slots and drives', () => {
  const reg = parseRegistration(request());
  assert.deepEqual(
    reg.tapes.map((t) => [t.barcode, t.changerName, t.slot, t.driveName]),
    [
      ['FER001L9', 'lib0', 1, null],
      ['FER002L9', 'lib0', 2, null],
      ['FER003L9', 'lib0', null, 'drive0'],
    ],
  );
  const [t1, t2] = reg.tapes;
  assert.equal(t1.detailsKnown, true);
  assert.equal(t1.usedBytes, 10);
  assert.equal(t1.volumeUuid, null, 'a malformed volume UUID is dropped, not stored');
  // Only the barcode is known: the generation comes from its suffix, details stay unknown.
  assert.equal(t2.detailsKnown, false);
  assert.equal(t2.usedBytes, 0, 'unread details are not taken');
  assert.equal(t2.generation, 9);
  assert.equal(t2.capacityBytes, 18e12);
});

test('drives, slots and roots are normalized', () => {
  const reg = parseRegistration(request());
  assert.deepEqual(
    reg.changers[0].slots.map((s) => s.slot),
    [1, 2, 4],
  );
  assert.equal(reg.changers[0].slots[2].importExport, true);
  assert.deepEqual(
    reg.drives.map((d) => [d.name, d.backend, d.state]),
    [
      ['drive0', 'EMULATED', 'LOADED'],
      ['drive1', 'LTFS', 'EMPTY'],
    ],
  );
  assert.deepEqual(reg.allowedRestoreRoots, ['/restore', '/srv']);
});

test("the agent's policy is kept as it says; an agent that sends no backup roots predates it (null)", () => {
  const reg = parseRegistration(request({ allowedBackupRoots: ['/data/', '/home'], allowFormat: true, allowForceFormat: false }));
  assert.deepEqual(reg.policy, { allowedBackupRoots: ['/data', '/home'], allowFormat: true, allowForceFormat: false });
  assert.equal(parseRegistration(request()).policy, null);
  assert.throws(() => parseRegistration(request({ allowedBackupRoots: ['data'] })), /INVALID_REGISTRATION|absolute/);
});

test('bad registrations are refused with INVALID_REGISTRATION', () => {
  const refuse = (over: Partial) =>
    assert.throws(
      () => parseRegistration(request(over)),
      (err: unknown) => err instanceof FerriteError && err.code === 'INVALID_REGISTRATION',
    );
  refuse({ agentName: '' });
  refuse({ agentName: 'has space' });
  refuse({ drives: [{ name: 'd' }, { name: 'd' }] });
  refuse({ drives: [{ name: '' }] });
  refuse({ drives: [{ name: 'd', changerName: 'nope' }] });
  refuse({ allowedRestoreRoots: ['relative'] });
  refuse({
    drives: [
      { name: 'a', loadedBarcode: 'X' },
      { name: 'b', loadedBarcode: 'X' },
    ],
  });
});

test('TapeAlert flags, WORM and cleaning cartridges travel with the sightings; unread details keep no alerts', () => {
  const reg = parseRegistration(
    request({
      drives: [
        {
          name: 'drive0',
          backend: DriveBackend.DRIVE_BACKEND_EMULATED,
          state: DriveState.DRIVE_STATE_NEEDS_CLEANING,
          changerName: 'lib0',
          generation: 9,
          alerts: ['clean_now', 'CLEAN_NOW', 'bad flag!'],
        },
      ],
      changers: [
        {
          name: 'lib0',
          serial: 'S',
          slotCount: 4,
          slots: [
            { slot: 1, barcode: 'FER001LZ' },
            { slot: 2, barcode: 'CLN001L1' },
          ],
        },
      ],
      tapes: [
        { barcode: 'FER001LZ', generation: 9, detailsKnown: true, worm: true, alerts: ['MEDIA'] },
        { barcode: 'CLN001L1', detailsKnown: false, alerts: ['MEDIA'] },
      ],
    }),
  );
  assert.deepEqual(reg.drives[0].alerts, ['CLEAN_NOW'], 'normalized, deduplicated, junk dropped');
  assert.equal(reg.drives[0].state, 'NEEDS_CLEANING');
  const worm = reg.tapes.find((t) => t.barcode === 'FER001LZ')!;
  assert.deepEqual([worm.worm, worm.alerts], [true, ['MEDIA']]);
  const cln = reg.tapes.find((t) => t.barcode === 'CLN001L1')!;
  assert.deepEqual([cln.cleaning, cln.alerts], [true, []]);
});
