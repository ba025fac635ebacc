// Pure parsing of what the LTFS tools print: message IDs and device codes to TapeError codes,
// TapeAlert words, capacities, rollback point lists, the VOLSER mkltfs wants.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TapeError } from '../../../src/drives/drive.js';
import { classifyLtfsOutput, ltfsMessageIds } from '../../../src/drives/ltfs/ltfs-errors.js';
import { mibToBytes, parseAlertBits } from '../../../src/drives/ltfs/ltfs-xattrs.js';
import { decodeTapeAlerts, needsCleaning } from '../../../src/drives/ltfs/tape-alert-flags.js';
import { parseRollbackPoints, volumeSerial } from '../../../src/drives/ltfs/ltfs-drive.js';
import { mapFsError } from '../../../src/drives/ltfs/ltfs-write-stream.js';

describe('ltfs output parsing', () => {
  it('finds LTFS message IDs, with or without a thread-id prefix', () => {
    assert.deepEqual(ltfsMessageIds('62f9 LTFS14000I LTFS starting\nLTFS11006E Cannot read volume: failed to load the tape.\n'), ['14000I', '11006E']);
  });

  it('maps real LTFS messages and device codes to TapeError codes', () => {
    const cases: Array<[string, string | null]> = [
      ['LTFS11006E Cannot read volume: failed to load the tape.', 'NO_TAPE'],
      ['LTFS30263I TEST_UNIT_READY returns No Medium Present (-20209) /dev/sg1.', 'NO_TAPE'],
      ['LTFS11095E Cannot format: the medium is write protected.', 'WRITE_PROTECTED'],
      ['LTFS30263I WRITE returns Data Protect (-20701) /dev/sg1.', 'WRITE_PROTECTED'],
      ['LTFS11027E Cannot mount volume: medium consistency check failed.', 'VOLUME_DIRTY'],
      ['LTFS30266W The drive is already reserved: /dev/sg1 (x).', 'DRIVE_BUSY'],
      ['LTFS30210I Cannot open device: failed to open /dev/nst0 (-16).', 'DRIVE_BUSY'],
      ['LTFS17168E Cannot read volume: medium is not partitioned.', 'NOT_FORMATTED'],
      ['LTFS15047E Medium is already formatted (-1136).', 'VOLUME_NOT_EMPTY'],
      ['LTFS11072E Cannot write blocks: failed to write to the medium (-20309).', 'MEDIUM_ERROR'],
      ['LTFS11009E Cannot read volume: failed to read partition labels.', 'MEDIUM_ERROR'],
      ['LTFS14000I LTFS starting, LTFS version 2.4.5.1, log level 2.', null],
    ];
    for (const [output, code] of cases) assert.equal(classifyLtfsOutput(output), code, output);
  });

  it('decodes TapeAlert words (flag n = bit n-1) and tells when a drive wants cleaning', () => {
    const bits = parseAlertBits('0x0000000000080008');
    assert.deepEqual(
      decodeTapeAlerts(bits).map((a) => [a.flag, a.name, a.severity]),
      [
        [4, 'MEDIA', 'critical'],
        [20, 'CLEAN_NOW', 'critical'],
      ],
    );
    assert.equal(needsCleaning(decodeTapeAlerts(bits)), true);
    assert.deepEqual(
      decodeTapeAlerts(parseAlertBits('0x8000000000000000')).map((a) => a.flag),
      [64],
    );
    assert.equal(parseAlertBits(null), 0n);
    assert.throws(() => parseAlertBits('zz'), TapeError);
  });

  it('reads LTFS capacities (MiB) as bytes', () => {
    assert.equal(mibToBytes('17166336\n', 'x'), 17166336 * 1024 * 1024);
    assert.throws(
      () => mibToBytes(null, 'x'),
      (e: TapeError) => e.code === 'MEDIUM_ERROR',
    );
  });

  it('parses `ltfsck -l` rollback points', () => {
    const out = [
      'Generation: Date       Time               Zone     SelfPtr->BackPtr (Part, Pos)',
      '-------------------------------------------------------------------------------',
      '         7: 2026-11-20 09:14:03.123456789 CET      (0, 31)->(1, 5620)',
      '           (2026-11-20 08:14:03.123456789 UTC)',
      '            No commit message',
      '         1: 2026-11-01 12:00:00.000000000 CET      (0, 5) <<Initial Index>>',
    ].join('\n');
    assert.deepEqual(parseRollbackPoints(out), [
      { generation: 7, time: '2026-11-20 09:14:03.123456789 CET', partition: 0, block: 31 },
      { generation: 1, time: '2026-11-01 12:00:00.000000000 CET', partition: 0, block: 5 },
    ]);
  });

  it('gives mkltfs the 6-character VOLSER of a barcode', () => {
    assert.equal(volumeSerial('FER001L9'), 'FER001');
    assert.equal(volumeSerial('ABC123'), 'ABC123');
    assert.throws(
      () => volumeSerial('AB-1'),
      (e: TapeError) => e.code === 'UNKNOWN_BARCODE',
    );
  });

  it('maps what the kernel says about a write on the LTFS mount to TapeError codes', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    assert.equal((mapFsError(errno('ENOSPC'), 'f') as TapeError).code, 'END_OF_MEDIUM');
    assert.equal((mapFsError(errno('EROFS'), 'f') as TapeError).code, 'WRITE_PROTECTED');
    assert.equal((mapFsError(errno('EIO'), 'f') as TapeError).code, 'MEDIUM_ERROR');
    assert.equal((mapFsError(errno('ENOTCONN'), 'f') as TapeError).code, 'NOT_MOUNTED');
    assert.equal(mapFsError(errno('EMFILE'), 'f') instanceof TapeError, false);
  });
});
