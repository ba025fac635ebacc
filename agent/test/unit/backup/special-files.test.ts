import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileType } from '@ferrite/proto';
import { splitRdev } from '../../../src/backup/device-numbers.js';
import { mknodArgs, specialFileProblem } from '../../../src/restore/special-files.js';

test("st_rdev splits into major and minor as glibc's gnu_dev_major/minor do", () => {
  assert.deepEqual(splitRdev(0x0103n), { rdevMajor: 1, rdevMinor: 3 }); // /dev/null
  assert.deepEqual(splitRdev(0x0801n), { rdevMajor: 8, rdevMinor: 1 }); // /dev/sda1
  // makedev(259, 65537): major above 255 and minor above 255 use the high bits.
  const rdev = ((259n & 0xfffn) << 8n) | ((259n & ~0xfffn) << 32n) | (65537n & 0xffn) | ((65537n & ~0xffn) << 12n);
  assert.deepEqual(splitRdev(rdev), { rdevMajor: 259, rdevMinor: 65537 });
});

test('mknod arguments: mode in octal, the path after --, the kind and numbers', () => {
  assert.deepEqual(mknodArgs('/t/-fifo', FileType.FILE_TYPE_FIFO, 0o10644, 0, 0), ['-m', '644', '--', '/t/-fifo', 'p']);
  assert.deepEqual(mknodArgs('/t/null', FileType.FILE_TYPE_CHAR_DEVICE, 0o666, 1, 3), ['-m', '666', '--', '/t/null', 'c', '1', '3']);
  assert.deepEqual(mknodArgs('/t/loop', FileType.FILE_TYPE_BLOCK_DEVICE, 0o660, 7, 200), ['-m', '660', '--', '/t/loop', 'b', '7', '200']);
});

test('devices are made only as root; FIFOs by anyone', () => {
  assert.equal(specialFileProblem(FileType.FILE_TYPE_FIFO, false), null);
  assert.equal(specialFileProblem(FileType.FILE_TYPE_CHAR_DEVICE, true), null);
  assert.match(specialFileProblem(FileType.FILE_TYPE_BLOCK_DEVICE, false)!, /only by an agent running as root/);
});
