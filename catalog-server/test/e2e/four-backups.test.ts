// Orchestration end to end: two agents, each with two emulated drives, run four backups at once (one
// per drive, dispatched from one queue), and every file of every backup lands in the catalog with
// the right hash on the right tape.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { startStack, type Stack } from '../support/stack.js';
import { allFiles, formatTape, startBackup, waitForJob } from '../support/graphql-ops.js';

const AGENTS = [
  { name: 'orch-a', barcodes: ['ORA001L9', 'ORA002L9'] },
  { name: 'orch-b', barcodes: ['ORB001L9', 'ORB002L9'] },
];
const FILES_PER_BACKUP = 40;

describe('four backups at once on two agents with two drives each', { timeout: 300_000 }, () => {
  let stack: Stack;
  const sources = new Map<string, Map<string, string>>(); // barcode -> (path -> sha256)

  before(async () => {
    stack = await startStack('four');
    for (const a of AGENTS) {
      await stack.startAgent({ name: a.name, barcodes: a.barcodes, drives: 2 });
      for (const barcode of a.barcodes) {
        const dir = path.join(stack.tmp, 'src', barcode);
        await mkdir(dir, { recursive: true });
        const hashes = new Map<string, string>();
        for (let i = 0; i < FILES_PER_BACKUP; i++) {
          // A mix of small files (bundled) and a few large ones (written whole).
          const body = randomBytes(i % 10 === 0 ? 1_500_000 : 2000 + i);
          const file = path.join(dir, `f${i}.bin`);
          await writeFile(file, body);
          hashes.set(file, createHash('sha256').update(body).digest('hex'));
        }
        sources.set(barcode, hashes);
      }
    }
    const formats = await Promise.all(AGENTS.flatMap((a) => a.barcodes.map((b) => formatTape(stack.gql, b))));
    for (const id of formats) assert.equal((await waitForJob(stack.gql, id)).status, 'SUCCEEDED');
  });

  after(async () => {
    await stack?.stop();
  });

  it('runs one backup per drive and every file lands in the catalog on its tape', async () => {
    const jobs = await Promise.all(
      AGENTS.flatMap((a) =>
        a.barcodes.map(async (barcode) => ({
          barcode,
          agent: a.name,
          id: await startBackup(stack.gql, { agent: a.name, paths: [path.join(stack.tmp, 'src', barcode)], tape: barcode }),
        })),
      ),
    );
    const drives = new Map<string, string>();
    for (const j of jobs) {
      const done = await waitForJob(stack.gql, j.id);
      assert.equal(done.status, 'SUCCEEDED', `${j.barcode}: ${done.errorCode} ${done.errorMessage}`);
      const r = await stack.gql.request<{ job: { drive: { name: string } } }>('query($id: ID!) { job(id: $id) { drive { name } } }', { id: j.id });
      drives.set(j.id, `${j.agent}/${r.job.drive.name}`);
    }
    assert.equal(new Set(drives.values()).size, 4, `each backup ran on its own drive: ${[...drives.values()].join(', ')}`);

    for (const j of jobs) {
      const expected = sources.get(j.barcode)!;
      const files = await allFiles(stack.gql, { host: j.agent, pathPrefix: path.join(stack.tmp, 'src', j.barcode), type: 'FILE' });
      assert.equal(files.length, expected.size, `${j.barcode}: every file is in the catalog`);
      for (const f of files) {
        assert.equal(f.sha256, expected.get(f.path), f.path);
        assert.deepEqual([...new Set(f.placements.map((p) => p.barcode))], [j.barcode], `${f.path} is on ${j.barcode}`);
      }
    }
  });
});
