// Cutting a large file where its tape ends: segments in file order, each on its tape with its own
// hash, offsets without gap or overlap, the bytes of all pieces together being the file; a tape with
// no room takes no empty segment; copies cut independently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MountedVolume } from '../../../src/drives/drive.js';
import type { CopyVolume } from '../../../src/backup/copy-volumes.js';
import { teeWritable } from '../../../src/backup/copy-volumes.js';
import { MIN_SEGMENT_BYTES, SegmentingWritable } from '../../../src/backup/segmenting-writable.js';

const MiB = 1024 * 1024;

/** A tape with `room` bytes before early warning; what is written to it is kept per path. */
function fakeTape(barcode: string, room: number, copy = 1): CopyVolume & { files: Map<string, Buffer[]> } {
  const files = new Map<string, Buffer[]>();
  let used = 0;
  const volume = {
    barcode,
    space: async () => ({
      totalBytes: room,
      usedBytes: used,
      availableBytes: room - used,
      earlyWarning: used > room,
      bytesBeforeEarlyWarning: Math.max(0, room - used),
    }),
    createWriteStream: async (relPath: string) => {
      const chunks: Buffer[] = [];
      files.set(relPath, chunks);
      return new Writable({
        write(chunk: Buffer, _enc, cb) {
          chunks.push(Buffer.from(chunk));
          used += chunk.length;
          setImmediate(cb);
        },
      });
    },
    position: async () => ({ partition: 'b' as const, startBlock: 100 + used, size: 0 }),
  } as unknown as MountedVolume;
  return { copy, barcode, volume, files };
}

/** Next tapes in order, recording which full tape asked. */
function tapeSequence(tapes: Array<ReturnType<typeof fakeTape>>) {
  const asked: string[] = [];
  let next = 0;
  return {
    asked,
    nextVolume: async (full: CopyVolume) => {
      asked.push(full.barcode);
      const t = tapes[next++];
      if (!t) throw new Error('no tape left');
      return t;
    },
  };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest();
const file = randomBytes(5 * MiB + 12345);
const chunks = (b: Buffer) => Array.from({ length: Math.ceil(b.length / (MiB / 2)) }, (_, i) => b.subarray(i * (MiB / 2), (i + 1) * (MiB / 2)));

test('a file that fits is one segment, with no hash of its own', async () => {
  const t1 = fakeTape('T1', 64 * MiB);
  const seq = tapeSequence([]);
  const w = new SegmentingWritable(t1, 'ferrite/data/j/big', seq.nextVolume);
  await pipeline(Readable.from(chunks(file)), w);
  const [loc] = w.locations();
  assert.equal(w.locations().length, 1);
  assert.deepEqual([loc.barcode, loc.segment, loc.fileOffset, loc.length, loc.segmentSha256.length], ['T1', 0, 0, file.length, 0]);
  assert.equal(seq.asked.length, 0, 'no tape change');
});

test('a file larger than the room goes on, at the same path, over as many tapes as it needs', async () => {
  const tapes = [fakeTape('T1', 2 * MiB + 7), fakeTape('T2', 2 * MiB), fakeTape('T3', 64 * MiB)];
  const seq = tapeSequence(tapes.slice(1));
  const w = new SegmentingWritable(tapes[0], 'ferrite/data/j/big', seq.nextVolume);
  await pipeline(Readable.from(chunks(file)), w);
  const locs = w.locations();
  assert.deepEqual(
    locs.map((l) => [l.barcode, l.segment, l.fileOffset, l.length]),
    [
      ['T1', 0, 0, 2 * MiB + 7],
      ['T2', 1, 2 * MiB + 7, 2 * MiB],
      ['T3', 2, 4 * MiB + 7, file.length - 4 * MiB - 7],
    ],
  );
  assert.deepEqual(seq.asked, ['T1', 'T2']);
  const pieces = tapes.map((t) => Buffer.concat(t.files.get('ferrite/data/j/big') ?? []));
  assert.ok(Buffer.concat(pieces).equals(file), 'the pieces in tape order are the file');
  locs.forEach((l, i) => assert.ok(Buffer.from(l.segmentSha256).equals(sha(pieces[i])), `segment ${i} has its own hash`));
  assert.equal(w.volume.barcode, 'T3', 'the copy is on its last tape');
});

test('a tape with less room than a useful segment takes none: the file starts on the next', async () => {
  const tapes = [fakeTape('T1', MIN_SEGMENT_BYTES - 1), fakeTape('T2', 64 * MiB)];
  const seq = tapeSequence(tapes.slice(1));
  const w = new SegmentingWritable(tapes[0], 'p', seq.nextVolume);
  await pipeline(Readable.from(chunks(file)), w);
  assert.equal(tapes[0].files.size, 0, 'nothing was created on the full tape');
  assert.deepEqual(
    w.locations().map((l) => [l.barcode, l.segment, l.length]),
    [['T2', 0, file.length]],
  );
});

test('copies cut where each of their own tapes ends', async () => {
  const a = [fakeTape('A1', 3 * MiB, 1), fakeTape('A2', 64 * MiB, 1)];
  const b = [fakeTape('B1', 1 * MiB + 1, 2), fakeTape('B2', 2 * MiB, 2), fakeTape('B3', 64 * MiB, 2)];
  const sa = tapeSequence(a.slice(1));
  const sb = tapeSequence(b.slice(1));
  const writers = [new SegmentingWritable(a[0], 'p', sa.nextVolume), new SegmentingWritable(b[0], 'p', sb.nextVolume)];
  await pipeline(Readable.from(chunks(file)), teeWritable(writers));
  assert.deepEqual(
    writers[0].locations().map((l) => [l.copy, l.barcode, l.fileOffset]),
    [
      [1, 'A1', 0],
      [1, 'A2', 3 * MiB],
    ],
  );
  assert.deepEqual(
    writers[1].locations().map((l) => [l.copy, l.barcode, l.fileOffset]),
    [
      [2, 'B1', 0],
      [2, 'B2', MiB + 1],
      [2, 'B3', 3 * MiB + 1],
    ],
  );
  for (const copy of [a, b]) assert.ok(Buffer.concat(copy.flatMap((t) => t.files.get('p') ?? [])).equals(file));
});

test('when no next tape can be had, the write fails with that reason', async () => {
  const w = new SegmentingWritable(fakeTape('T1', 2 * MiB), 'p', async () => {
    throw new Error('TAPE_FULL: no scratch tape');
  });
  await assert.rejects(pipeline(Readable.from(chunks(file)), w), /no scratch tape/);
});
