// Catalog ingest benchmark: sends batches of agent-style file records through FilesService.ingestBatch
// on a fresh database and prints records/s per batch and overall, next to the target.
// Run: node --expose-gc catalog-server/dist/test/bench/files/ingest.bench.js [batches=20] [batchSize=5000]
// (with --expose-gc the garbage of generating each synthetic batch is collected before it is timed).
// (FERRITE_TEST_DATABASE_URL must name a PostgreSQL server; scripts/run-tests.mjs does not run this.)
import { performance } from 'node:perf_hooks';
import type { FileRecord } from '@ferrite/proto';
import { createAgent, createBackupJob, createFilesFixture, createTape, dirRecord, fileRecord, location } from '../../integration/files/files-fixture.js';
import { loadAverage, postgresCpuSeconds, postmasterPid } from './cpu.js';

const TARGET_PER_SECOND = 100_000;
const batches = Number(process.argv[2] ?? 20);
const batchSize = Number(process.argv[3] ?? 5000);

/** Camera-style trees: /data/photos/<year>/<month>/event <k>/IMG_nnnnnnn.JPG, 50 entries per
 *  directory; 4 KiB files packed 256 to a tar bundle, as the agent writes small files. Every name is
 *  new (the worst case for the file_name trigram index; catalog.bench.ts has realistic names). */
function batch(seq: number): FileRecord[] {
  const out: FileRecord[] = [];
  for (let i = 0; i < batchSize; i++) {
    const n = seq * batchSize + i;
    const dir = `/data/photos/${2000 + (Math.floor(n / 50_000) % 25)}/${String(1 + (Math.floor(n / 5000) % 12)).padStart(2, '0')}/event ${Math.floor(n / 50)}`;
    if (n % 50 === 0) {
      out.push(dirRecord(dir));
      continue;
    }
    const bundle = Math.floor(n / 256);
    const loc = location('BENCH1L9', bundle * 3, {
      containerPath: `/ferrite/data/bench-job/bundles/${String(bundle).padStart(6, '0')}.tar`,
      offset: 512 + (n % 256) * 4608,
      length: 4096,
    });
    out.push(fileRecord(`${dir}/IMG_${String(n).padStart(7, '0')}.JPG`, 'BENCH1L9', n, { size: 4096, locations: [loc] }));
  }
  return out;
}

const f = await createFilesFixture('files-bench');
try {
  const agentId = await createAgent(f, 'bench-agent');
  await createTape(f, 'BENCH1L9');
  const { jobId } = await createBackupJob(f, agentId, 'bench-agent', ['/data']);
  let total = 0;
  let elapsed = 0;
  let cpu: number | undefined = 0;
  let nodeCpuTotal = 0;
  const postmaster = await postmasterPid(f);
  const rates: number[] = [];
  for (let seq = 0; seq < batches; seq++) {
    const records = batch(seq);
    (globalThis as { gc?: () => void }).gc?.();
    const pg0 = postgresCpuSeconds(postmaster);
    const node0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: seq + 1, agentId, records, manifestPath: '' });
    const ms = performance.now() - t0;
    const nodeCpu = process.cpuUsage(node0);
    const pg1 = postgresCpuSeconds(postmaster);
    nodeCpuTotal += (nodeCpu.user + nodeCpu.system) / 1e6;
    cpu = cpu === undefined || pg0 === undefined || pg1 === undefined ? undefined : cpu + (nodeCpu.user + nodeCpu.system) / 1e6 + (pg1 - pg0);
    if (!r.accepted || r.stored !== records.length) throw new Error(`batch ${seq} stored ${r.stored}`);
    total += records.length;
    elapsed += ms;
    rates.push(records.length / (ms / 1000));
    console.log(`batch ${String(seq + 1).padStart(3)}: ${records.length} records in ${ms.toFixed(0)} ms = ${Math.round(rates.at(-1)!)} records/s`);
  }
  rates.sort((a, b) => a - b);
  console.log(
    `ingest: ${total} records in ${(elapsed / 1000).toFixed(2)} s = ${Math.round(total / (elapsed / 1000))} records/s ` +
      `(slowest batch ${Math.round(rates[0])}/s, median ${Math.round(rates[Math.floor(rates.length / 2)])}/s); target >= ${TARGET_PER_SECOND}/s`,
  );
  // Client and server work alternate, so their summed CPU time is what the wall time would be on an
  // idle machine: a figure that other load on a shared machine does not distort.
  if (cpu !== undefined)
    console.log(
      `cpu: ${cpu.toFixed(2)} s of Node (${nodeCpuTotal.toFixed(2)} s) + PostgreSQL CPU = ${Math.round(total / cpu)} records per CPU-second ` +
        `(load average ${loadAverage()})`,
    );
} finally {
  await f.close();
}
