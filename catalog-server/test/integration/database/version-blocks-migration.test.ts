// Migration *_version_blocks rewrites every file version of an existing catalog into blocks. A
// catalog is the only record of which file lies where on which tape, so the conversion is tested on
// data: a database at the migration before it, filled with old-style rows (several runs and
// directories, a directory over one block's worth, a symlink, a deletion marker, NULL ctime and
// inode), then the migration, then every version read back through the view.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { migrationsDir } from '@ferrite/db';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

const MIGRATION = 'version_blocks';
const COLUMNS = 'directory_id, name_id, content_id, size, mtime, ctime, inode, run_num, mode, type, deleted, symlink_target';

/** The migration directories, in the order they apply. */
const migrationDirs = async () =>
  (await readdir(migrationsDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
const sql = (dir: string) => readFile(path.join(migrationsDir, dir, 'migration.sql'), 'utf8');

describe('migration *_version_blocks', () => {
  let db: TestDatabase;
  let c: pg.Client;

  before(async () => {
    db = await createTestDatabase('version-blocks-migration', { migrate: false });
    c = new pg.Client({ connectionString: db.url });
    await c.connect();
  });
  after(async () => {
    await c?.end();
    await db?.drop();
  });

  it('carries every version over with its attributes, in blocks of one run and directory (ordered by their first id)', async () => {
    const dirs = await migrationDirs();
    const target = dirs.findIndex((d) => d.endsWith(`_${MIGRATION}`));
    assert.ok(target > 0, `no migration named *_${MIGRATION}`);
    for (const d of dirs.slice(0, target)) await c.query(await sql(d));

    await c.query(`
      INSERT INTO host (name) VALUES ('h');
      INSERT INTO directory (host_id, name, path) VALUES (1, '', '/'), (1, 'a', '/a'), (1, 'big', '/big');
      INSERT INTO file_name (name) SELECT 'n' || g FROM generate_series(1, 1200) g;
      INSERT INTO content (sha256, size) SELECT sha256(g::text::bytea), g FROM generate_series(1, 1200) g;
      INSERT INTO job (id, kind, status, spec, created_at, updated_at) VALUES (gen_random_uuid(), 'BACKUP', 'SUCCEEDED', '{}', now(), now());
      INSERT INTO run (id, host_id, root, job_id, started_at, level) SELECT gen_random_uuid(), 1, '/', id, now() + g * interval '1 s', 'FULL' FROM job, generate_series(1, 2) g;`);
    // Run 1: /a (file, symlink, deletion marker, directory with NULL ctime and inode) and 1,100
    // files in /big (two blocks). Run 2: /a again. Interleaved ids, as concurrent batches leave them.
    await c.query(`
      INSERT INTO file_version (${COLUMNS}) VALUES
        (2, 1, 1, 1, '2024-01-02Z', '2024-01-03Z', 7, 1, 420, 'FILE', false, ''),
        (3, 10, 10, 10, '2024-02-01Z', '2024-02-01Z', 70, 1, 420, 'FILE', false, ''),
        (2, 2, NULL, 5, '2024-01-05Z', '2024-01-05Z', 8, 1, 511, 'SYMLINK', false, 'target/x'),
        (2, 3, NULL, 0, '2024-01-06Z', NULL, NULL, 1, 420, 'FILE', true, ''),
        (1, 4, NULL, 0, '2023-12-31Z', NULL, NULL, 1, 493, 'DIRECTORY', false, ''),
        (2, 1, 5, 5, '2024-03-01Z', '2024-03-01Z', 7, 2, 384, 'FILE', false, '')`);
    await c.query(`
      INSERT INTO file_version (${COLUMNS})
      SELECT 3, 100 + g, 100 + g, g, '2024-01-01Z'::timestamptz + g * interval '24 hours', NULL, g, 1, 420, 'FILE', false, ''
        FROM generate_series(1, 1100) g ORDER BY g`);
    const before = (await c.query(`SELECT ${COLUMNS} FROM file_version ORDER BY run_num, directory_id, id`)).rows;
    assert.equal(before.length, 1106);

    await c.query(await sql(dirs[target]));

    const afterRows = (await c.query(`SELECT ${COLUMNS} FROM file_version ORDER BY run_num, directory_id, id`)).rows;
    assert.deepEqual(afterRows, before);
    const blocks = (
      await c.query<{ run_num: number; directory_id: string; n: number; days: number }>(
        `SELECT run_num, directory_id::text AS directory_id, cardinality(name_ids) AS n, cardinality(mtime_days) AS days FROM version_block ORDER BY id`,
      )
    ).rows;
    assert.deepEqual(
      blocks.map((b) => [b.run_num, b.directory_id, b.n]),
      [
        [1, '2', 3],
        [1, '3', 1000],
        [1, '1', 1],
        [2, '2', 1],
        [1, '3', 101],
      ],
    );
    // Distinct UTC days: /big's first block has n10 (2024-02-01) and n101..n1099, one a day from
    // 2024-01-02, which meet on 2024-02-01.
    assert.deepEqual(
      blocks.map((b) => b.days),
      [3, 999, 1, 1, 101],
    );
    const ids = (
      await c.query<{ id: string; block_id: string; ord: number }>('SELECT id::text AS id, block_id::text AS block_id, ord FROM file_version ORDER BY id')
    ).rows;
    assert.ok(
      ids.every((r) => BigInt(r.id) === (BigInt(r.block_id) << 16n) + BigInt(r.ord)),
      'version id = block id * 65536 + position',
    );
  });

  it('then *_version_block_content_buckets gives each existing block the ranges of its content ids', async () => {
    const next = (await migrationDirs()).find((d) => d.endsWith('_version_block_content_buckets'));
    assert.ok(next, 'no migration named *_version_block_content_buckets');
    await c.query(await sql(next));
    const blocks = (
      await c.query<{ contents: Array<string | null>; buckets: string[] }>(
        'SELECT content_ids::text[] AS contents, content_buckets::text[] AS buckets FROM version_block ORDER BY id',
      )
    ).rows;
    assert.equal(blocks.length, 5);
    for (const b of blocks) {
      const expected = [...new Set(b.contents.filter((c) => c !== null).map((c) => Number(c) >> 10))].sort((x, y) => x - y);
      assert.deepEqual(
        b.buckets.map(Number).sort((x, y) => x - y),
        expected,
      );
    }
    // /big's first block holds contents 101..1100 (two ranges); the view still reads every version.
    assert.deepEqual(blocks[1].buckets.map(Number).sort(), [0, 1]);
    assert.equal((await c.query('SELECT count(*)::int AS n FROM file_version')).rows[0].n, 1106);
  });
});
