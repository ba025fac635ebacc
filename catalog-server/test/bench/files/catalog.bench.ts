// Catalog benchmark (issue 4): builds a synthetic catalog of N file versions (hosts, runs, tapes;
// see catalog-shapes.ts) through FilesService.ingestBatch, then prints the ingest rate (wall and per
// CPU-second of Node + PostgreSQL), bytes per file version on disk (tables and indexes), and
// p50/p95/p99 of a fixed search mix through FileSearchService.files next to a naive baseline (ILIKE
// over full paths) measured in the same run.
//
// Run: npm run bench:catalog -w @ferrite/catalog-server [-- <versions> [<concurrency>]]
// It creates and drops its own database: on FERRITE_TEST_DATABASE_URL when set, otherwise on an
// embedded PostgreSQL it starts in a temporary directory and removes afterwards.
import { performance } from 'node:perf_hooks';
import type { FileRecord } from '@ferrite/proto';
import pgCopy from 'pg-copy-streams';
import { CopyBinaryWriter } from '../../../src/modules/files/copy-binary.js';
import type { FileFilterLike } from '../../../src/modules/files/file-query.js';
import { createAgent, createBackupJob, createFilesFixture, createTape, type FilesFixture } from '../../integration/files/files-fixture.js';
import { benchDatabase } from './bench-database.js';
import { fakeSha256, FILES_PER_TAPE, HOSTS, records, RUNS_PER_HOST, tapeBarcode } from './catalog-shapes.js';
import { loadAverage, postgresCpuSeconds, postmasterPid } from './cpu.js';

const DEFAULT_VERSIONS = 2_000_000;
const versions = Number(process.argv[2] ?? DEFAULT_VERSIONS);
const concurrency = Number(process.argv[3] ?? 2);
const BATCH = 5000;
const REPEAT = 20;
const BASELINE_REPEAT = 3;
const NAIVE_TIMEOUT_MS = 60_000;
const INGEST_TARGET = 100_000;
const P95_TARGET_MS = 150;

if (!Number.isSafeInteger(versions) || versions < HOSTS.length * RUNS_PER_HOST * 1000) {
  throw new Error(`versions must be a whole number >= ${HOSTS.length * RUNS_PER_HOST * 1000}`);
}
const filesPerHost = Math.floor(versions / (HOSTS.length * RUNS_PER_HOST));

const database = await benchDatabase();
if (database.embedded) {
  // Our own server, so tune it as a catalog that takes bulk ingest should be (see the files module
  // README): with the default 1 GB, checkpoints come every few seconds of ingest and each one makes
  // the next change of every index page write a full page image to the WAL. Likewise the
  // default 5-minute checkpoint_timeout, for an ingest of 10 million versions. Neither setting
  // weakens durability: every batch is still committed (and flushed) before it is acknowledged.
  const pg = await import('pg');
  const admin = new pg.default.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query(`ALTER SYSTEM SET max_wal_size = '8GB'`);
  await admin.query(`ALTER SYSTEM SET checkpoint_timeout = '30min'`);
  await admin.query('SELECT pg_reload_conf()');
  await admin.end();
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)).padStart(7);

/** One task per (run, host), in run order: a later run refers to what earlier ones wrote. */
function runTasks(): Array<{ host: number; run: number }> {
  const tasks: Array<{ host: number; run: number }> = [];
  for (let r = 0; r < RUNS_PER_HOST; r++) for (let h = 0; h < HOSTS.length; h++) tasks.push({ host: h, run: r });
  return tasks;
}

/** Generates every batch of every task and hands it to `each`, `concurrency` tasks at a time
 *  (batches of one task in order; `seq` counts from 1 per task); `after` runs when a task is done. */
async function forEachBatch<T extends { host: number; run: number }>(
  tasks: T[],
  each: (task: T, seq: number, batch: FileRecord[]) => Promise<void>,
  after: (task: T) => Promise<void> = async () => {},
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      let seq = 0;
      for (let from = 0; from < filesPerHost; from += BATCH) {
        await each(task, ++seq, records(task.host, task.run, from, Math.min(filesPerHost, from + BATCH), `h${task.host}`));
      }
      await after(task);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * The baseline for the ingest rate, measured in the same run on the same server: the same records,
 * generated the same way and sent the same way (binary COPY into a temporary table, batches of
 * BATCH, the same streams), but only the step every design of this catalog must take for each of
 * them: de-duplicating its content by SHA-256 (one unique index, INSERT ... ON CONFLICT DO NOTHING,
 * a commit per batch). No names, directories, placements, versions or search indexes. Ingest cannot
 * be faster than this on this machine; how far below it lands is what the rest costs.
 */
async function ingestCeiling(f: FilesFixture): Promise<void> {
  const pg = await import('pg');
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const c = new pg.default.Client({ connectionString: f.db.url });
      await c.connect();
      await c.query('CREATE TEMP TABLE ceiling_stage (sha bytea NOT NULL, size bigint NOT NULL) ON COMMIT DELETE ROWS');
      return c;
    }),
  );
  await clients[0].query('CREATE TABLE bench_ceiling_content (id bigserial PRIMARY KEY, sha256 bytea NOT NULL UNIQUE, size bigint NOT NULL)');
  const free = [...clients];
  const t0 = performance.now();
  let done = 0;
  try {
    await forEachBatch(runTasks(), async (_task, _seq, batch) => {
      const c = free.pop()!;
      try {
        const rows = new CopyBinaryWriter(2, batch.length * 50);
        for (const r of batch) rows.row().bytes(r.sha256).int8(r.size);
        await c.query('BEGIN');
        const stream = c.query(pgCopy.from('COPY ceiling_stage (sha, size) FROM STDIN (FORMAT binary)'));
        await new Promise<void>((resolve, reject) => {
          stream.on('error', reject);
          stream.on('finish', resolve);
          stream.end(rows.finish());
        });
        await c.query(
          `INSERT INTO bench_ceiling_content (sha256, size) SELECT sha, max(size) FROM ceiling_stage GROUP BY sha ORDER BY sha
           ON CONFLICT (sha256) DO NOTHING`,
        );
        await c.query('COMMIT');
        done += batch.length;
      } finally {
        free.push(c);
      }
    });
    const seconds = (performance.now() - t0) / 1000;
    const contents = await clients[0].query<{ n: number }>('SELECT count(*)::float8 AS n FROM bench_ceiling_content');
    console.log(
      `ingest ceiling (baseline, same run): ${done} records de-duplicated by SHA-256 into ${contents.rows[0].n} contents and nothing else, ` +
        `in ${seconds.toFixed(1)} s = ${Math.round(done / seconds)} records/s wall (same generation, COPY, batches and streams)`,
    );
  } finally {
    await clients[0].query('DROP TABLE IF EXISTS bench_ceiling_content');
    await Promise.all(clients.map((c) => c.end()));
  }
}

async function ingest(f: FilesFixture): Promise<void> {
  console.log(
    `catalog: ${HOSTS.length} hosts x ${RUNS_PER_HOST} full runs x ${filesPerHost} files = ${filesPerHost * HOSTS.length * RUNS_PER_HOST} versions, batches of ${BATCH}, ${concurrency} concurrent streams`,
  );
  const agents = await Promise.all(HOSTS.map((h) => createAgent(f, h)));
  for (let h = 0; h < HOSTS.length; h++) {
    for (let r = 0; r < RUNS_PER_HOST; r++) {
      for (let i = 0; i < filesPerHost; i += FILES_PER_TAPE) await createTape(f, tapeBarcode(h, r, i));
    }
  }
  const jobs: Array<{ host: number; run: number; jobId: string }> = [];
  for (const t of runTasks()) jobs.push({ ...t, ...(await createBackupJob(f, agents[t.host], HOSTS[t.host], ['/'])) });

  const postmaster = await postmasterPid(f);
  const pg0 = postgresCpuSeconds(postmaster);
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  let done = 0;
  let lastReport = t0;
  await forEachBatch(
    jobs,
    async (job, seq, batch) => {
      const r = await f.files.ingestBatch({ jobId: job.jobId, attempt: 1, batchSeq: seq, agentId: agents[job.host], records: batch, manifestPath: '' });
      if (!r.accepted || r.stored !== batch.length) throw new Error(`batch ${seq} of ${HOSTS[job.host]} run ${job.run} stored ${r.stored} of ${batch.length}`);
      done += batch.length;
      const now = performance.now();
      if (now - lastReport > 15_000) {
        lastReport = now;
        console.log(`  ${done} versions, ${Math.round(done / ((now - t0) / 1000))}/s so far (load average ${loadAverage()})`);
      }
    },
    (job) => f.runs.finishBackupRuns(job.jobId),
  );
  const seconds = (performance.now() - t0) / 1000;
  const node = process.cpuUsage(node0);
  const nodeCpu = (node.user + node.system) / 1e6;
  const pg1 = postgresCpuSeconds(postmaster);
  console.log(
    `ingest: ${done} versions in ${seconds.toFixed(1)} s = ${Math.round(done / seconds)} records/s wall (target >= ${INGEST_TARGET}/s), ` +
      `record generation included; load average ${loadAverage()}`,
  );
  if (pg0 !== undefined && pg1 !== undefined) {
    const cpu = nodeCpu + (pg1 - pg0);
    console.log(
      `ingest cpu: Node ${nodeCpu.toFixed(1)} s (generation included) + PostgreSQL ${(pg1 - pg0).toFixed(1)} s = ${Math.round(done / cpu)} records per CPU-second, ` +
        `${Math.round((2 * done) / cpu)}/s if both cores were ours`,
    );
  }
}

async function size(f: FilesFixture): Promise<void> {
  // Its own connection without the server's statement timeout: VACUUM also merges the GIN pending
  // lists ingest left behind, which takes longer than any search may.
  const pg = await import('pg');
  const db = new pg.default.Client({ connectionString: f.db.url });
  await db.connect();
  try {
    await db.query('SET statement_timeout = 0');
    await measureSize(db);
  } finally {
    await db.end();
  }
}

async function measureSize(db: { query: FilesFixture['prisma']['pool']['query'] }): Promise<void> {
  // What autovacuum would have done by the time anyone searches: statistics and the visibility map.
  await db.query('VACUUM ANALYZE version_block, file_name, directory, content, placement');
  const { rows } = await db.query<{ t: string; rows: number; total: number; heap: number }>(
    `SELECT t, (SELECT reltuples FROM pg_class WHERE relname = t)::float8 AS rows,
            pg_total_relation_size(t::regclass)::float8 AS total, pg_relation_size(t::regclass)::float8 AS heap
       FROM unnest(ARRAY['version_block', 'file_name', 'directory', 'content', 'placement']) AS t`,
  );
  // Versions are packed into blocks (one run, one directory): count the versions, not the rows.
  const versions = await db.query<{ n: number }>('SELECT sum(cardinality(name_ids))::float8 AS n FROM version_block');
  const n = versions.rows[0].n;
  const sum = rows.reduce((s, r) => s + r.total, 0);
  // Counted honestly: every table of the file index with all its indexes (and TOAST, free space),
  // divided by the number of file versions; contents and placements are shared by many versions.
  console.log(
    `size: ${(sum / 2 ** 30).toFixed(2)} GiB for ${n} file versions = ${Math.round(sum / n)} bytes per file version ` +
      `(version_block + file_name + directory + content + placement, tables, TOAST and all their indexes, / file versions; target <= 300)`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.t.padEnd(13)} ${String(r.rows).padStart(10)} rows  ${(r.total / 2 ** 20).toFixed(0).padStart(6)} MiB = ${Math.round(r.total / n)
        .toString()
        .padStart(3)} B/version (heap ${Math.round(r.heap / n)})`,
    );
  }
  const idx = await db.query<{ name: string; bytes: number }>(
    `SELECT i.relname AS name, pg_relation_size(i.oid)::float8 AS bytes FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname IN ('version_block', 'file_name', 'directory', 'content', 'placement') ORDER BY 2 DESC`,
  );
  console.log(`  indexes: ${idx.rows.map((r) => `${r.name} ${Math.round(r.bytes / n)}`).join(', ')} (B/version)`);
}

async function search(f: FilesFixture): Promise<void> {
  const some = await f.prisma.pool.query<{ path: string }>(`SELECT path FROM directory WHERE path LIKE '/home/%/Pictures/20__' ORDER BY id LIMIT 1`);
  const prefix = some.rows[0]?.path ?? '/home';
  const host = HOSTS[1];
  const sha = fakeSha256(1, 12_345 % filesPerHost, 0).toString('hex');
  const like = (s: string) => s.replace(/[\\%_]/g, '\\$&');
  // `extra`: measured and printed, but outside the target mix (see the files module README).
  const mix: Array<{ label: string; filter: FileFilterLike; naive?: string; extra?: boolean }> = [
    { label: 'name *.mov (case-insensitive)', filter: { nameGlob: '*.mov', caseInsensitive: true }, naive: '%.mov' },
    { label: 'name IMG_*', filter: { nameGlob: 'IMG_*' }, naive: '%/IMG\\_%' },
    { label: 'name *2024*', filter: { nameGlob: '*2024*' }, naive: '%/%2024%' },
    { label: 'name DSC0123*.ARW (mid)', filter: { nameGlob: 'DSC0123*.ARW' }, naive: '%/DSC0123%.ARW' },
    { label: 'name *invoice*2019*', filter: { nameGlob: '*invoice*2019*' }, naive: '%/%invoice%2019%' },
    { label: `path prefix ${prefix}`, filter: { pathPrefix: prefix }, naive: `${like(prefix)}/%` },
    { label: 'name *.JPG + size 5.0-5.1 MB (mid)', filter: { nameGlob: '*.JPG', sizeMin: 5_000_000, sizeMax: 5_100_000 }, naive: '%.JPG' },
    { label: `host ${host} + mtime in 2020-03`, filter: { host, modifiedAfter: new Date('2020-03-01Z'), modifiedBefore: new Date('2020-04-01Z') } },
    { label: `host ${host} + mtime on 2019-06-12`, filter: { host, modifiedAfter: new Date('2019-06-12Z'), modifiedBefore: new Date('2019-06-13Z') } },
    { label: `tape ${tapeBarcode(2, 1, 0)} alone (extra)`, filter: { tape: tapeBarcode(2, 1, 0) }, extra: true },
    { label: 'sha256', filter: { sha256: sha } },
  ];
  // The baseline gets its own connection and a longer timeout than the server's: over millions of
  // rows a rare pattern makes it read everything, and the point is to show how long that takes.
  const pg = await import('pg');
  const naiveClient = new pg.default.Client({ connectionString: f.db.url });
  await naiveClient.connect();
  await naiveClient.query(`SET statement_timeout = '${NAIVE_TIMEOUT_MS}'`);
  const all: number[] = [];
  const target: number[] = [];
  console.log(`search: first page of 50, ${REPEAT} runs each after one warm-up; statement timeout applies (QUERY_TIMEOUT)`);
  console.log(`  ${'query'.padEnd(50)}   p50 ms   p95 ms   p99 ms  rows | naive ILIKE over full paths: p50 ms   p95 ms`);
  for (const q of mix) {
    const times: number[] = [];
    let rows = 0;
    let timedOut = false;
    for (let k = 0; k <= REPEAT && !timedOut; k++) {
      const t = performance.now();
      try {
        const page = await f.search.files(q.filter, 50, undefined);
        rows = page.edges.length;
      } catch (err) {
        // A cut-off query is a result too (QUERY_TIMEOUT): its time is the statement timeout.
        if ((err as { code?: string }).code !== 'QUERY_TIMEOUT') throw err;
        timedOut = true;
      }
      if (k > 0 || timedOut) times.push(performance.now() - t);
    }
    if (timedOut) console.log(`  ${q.label}: cut off by the statement timeout (QUERY_TIMEOUT)`);
    times.sort((a, b) => a - b);
    all.push(...times);
    if (!q.extra) target.push(...times);
    let naive = '';
    if (q.naive) {
      const nt: number[] = [];
      let timedOut = false;
      for (let k = 0; k < BASELINE_REPEAT && !timedOut; k++) {
        const t = performance.now();
        try {
          await naiveClient.query(
            `SELECT fv.id FROM file_version fv JOIN directory d ON d.id = fv.directory_id JOIN file_name n ON n.id = fv.name_id
              WHERE NOT fv.deleted AND (CASE WHEN d.path = '/' THEN '/' || n.name ELSE d.path || '/' || n.name END) ILIKE $1
              ORDER BY fv.block_id, fv.ord LIMIT 50`,
            [q.naive],
          );
          nt.push(performance.now() - t);
        } catch (err) {
          if ((err as { code?: string }).code !== '57014') throw err;
          timedOut = true;
        }
      }
      nt.sort((a, b) => a - b);
      naive = timedOut ? `  > ${NAIVE_TIMEOUT_MS} (statement timeout)` : `${fmt(pct(nt, 50))}  ${fmt(pct(nt, 95))}`;
    }
    console.log(
      `  ${q.label.padEnd(50)} ${fmt(pct(times, 50))}  ${fmt(pct(times, 95))}  ${fmt(pct(times, 99))}  ${String(rows).padStart(4)} | ${naive || '  (no pattern: same query)'}`,
    );
  }
  await naiveClient.end();
  all.sort((a, b) => a - b);
  target.sort((a, b) => a - b);
  console.log(
    `search, target mix (every query above but the extra ones): p50 ${pct(target, 50).toFixed(1)} ms, p95 ${pct(target, 95).toFixed(1)} ms, p99 ${pct(target, 99).toFixed(1)} ms (target p95 <= ${P95_TARGET_MS} ms); load average ${loadAverage()}`,
  );
  console.log(
    `search, every query including the extra ones: p50 ${pct(all, 50).toFixed(1)} ms, p95 ${pct(all, 95).toFixed(1)} ms, p99 ${pct(all, 99).toFixed(1)} ms`,
  );
}

// FERRITE_BENCH_KEEP=1 keeps the catalog database (on FERRITE_TEST_DATABASE_URL's server) and prints
// its URL; FERRITE_BENCH_REUSE=<that URL> then measures size and search on it again without
// ingesting (same <versions> argument), e.g. after a change to a search query.
const reuse = process.env.FERRITE_BENCH_REUSE;
const keep = process.env.FERRITE_BENCH_KEEP === '1';
if ((reuse || keep) && database.embedded)
  throw new Error('FERRITE_BENCH_KEEP and FERRITE_BENCH_REUSE need FERRITE_TEST_DATABASE_URL (a server that outlives the run)');
try {
  if (versions < 10_000_000) console.log(`(for the full-size run: npm run bench:catalog -w @ferrite/catalog-server -- 10000000)`);
  const f = await createFilesFixture('catalog-bench', reuse);
  try {
    if (!reuse) {
      await ingestCeiling(f);
      await ingest(f);
    }
    await size(f);
    await search(f);
  } finally {
    if (keep || reuse) {
      console.log(`catalog kept: FERRITE_BENCH_REUSE=${f.db.url}`);
      await f.prisma.onModuleDestroy();
    } else await f.close();
  }
} finally {
  await database.stop();
}
