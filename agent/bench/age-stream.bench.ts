// age stream benchmark (issue 18: an encrypted backup must keep >= 90% of the unencrypted rate):
// a plaintext stream of N MiB (in memory, 4 MiB writes, as the backup's read ring hands them on)
// through a plain pass-through copy, through encryptStream, and through encryptStream then
// decryptStream, measured in the same run.
// Usage: node agent/dist/bench/age-stream.bench.js [--mib 256]   (also run by `npm run bench`)
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { decryptStream, encryptStream, generateIdentity } from '../src/crypto/age/index.js';

const PIECE = 4 * 1024 * 1024;

async function rate(mib: number, transforms: () => Transform[]): Promise<number> {
  const piece = randomBytes(PIECE);
  const pieces = (mib * 1024 * 1024) / PIECE;
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < pieces; i++) yield piece;
    })(),
  );
  const sink = new Writable({ write: (_b, _e, cb) => cb() });
  const start = process.hrtime.bigint();
  await pipeline([source, ...transforms(), sink]);
  return (mib * 1024 * 1024) / (Number(process.hrtime.bigint() - start) / 1e9) / 1e6;
}

export async function benchAgeStream(mib: number): Promise<void> {
  const id = generateIdentity();
  await rate(16, () => [encryptStream([id.recipient]), decryptStream([id])]); // warm up
  // The baseline copies every byte once, as any stage that hands bytes on in user space does.
  const copy = () => new Transform({ transform: (b: Buffer, _e, cb) => cb(null, Buffer.from(b)) });
  const plain = await rate(mib, () => [copy()]);
  const enc = await rate(mib, () => [encryptStream([id.recipient])]);
  const both = await rate(mib, () => [encryptStream([id.recipient]), decryptStream([id])]);
  const pct = (a: number) => `${((a / plain) * 100).toFixed(0)}% of the copy`;
  console.log(`age stream (${mib} MiB in memory, 4 MiB writes, 64 KiB ChaCha20-Poly1305 chunks, node ${process.version})`);
  console.log(`  baseline pass-through copy:  ${plain.toFixed(0)} MB/s`);
  console.log(`  encrypt:                    ${enc.toFixed(0)} MB/s  (${pct(enc)})`);
  console.log(`  encrypt then decrypt:       ${both.toFixed(0)} MB/s  (${pct(both)}; both on one thread)`);
  // The worst case for a backup path running at R MB/s: encryption on the same thread, overlapping
  // nothing, gives 1/(1/R + 1/enc). Overlapped with the path's I/O waits it costs less.
  const at = (r: number) => `${r} MB/s -> ${(1 / (1 / r + 1 / enc)).toFixed(0)} MB/s (${((1 / (1 / r + 1 / enc) / r) * 100).toFixed(0)}%)`;
  console.log(`  worst case for a backup path encrypting in line: ${at(177)} (LTO-9), ${at(300)}; target >= 90%`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--mib');
  console.log(
    `machine: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  benchAgeStream(i >= 0 ? Number(process.argv[i + 1]) : 256).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
