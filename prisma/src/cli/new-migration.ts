// Writes prisma/migrations/<timestamp>_<name>/migration.sql: the SQL that takes the schema as it was at
// git HEAD (or an empty database, or --from FILE) to the current schema.prisma. Works offline, on
// the WebAssembly schema engine. Usage: npm run migration:new -w @ferrite/db -- <name> [--from FILE|--empty]
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { migrationsDir, packageRoot, schemaPath } from '../paths.js';
import { withSchemaEngine } from '../schema-engine.js';
import { startEmbeddedPostgres } from '../embedded.js';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const name = args.find((a) => !a.startsWith('--'));
  if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error('usage: new-migration <snake_case_name> [--from FILE | --empty]');
  const fromIdx = args.indexOf('--from');
  let from: string | null;
  if (args.includes('--empty')) from = null;
  else if (fromIdx >= 0) from = await readFile(args[fromIdx + 1], 'utf8');
  else from = execFileSync('git', ['show', 'HEAD:prisma/schema.prisma'], { cwd: packageRoot, encoding: 'utf8' });
  const to = await readFile(schemaPath, 'utf8');

  // The engine needs a connection even for a schema-to-schema diff: use a throwaway embedded server.
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-diff-'));
  await chmod(tmp, 0o755); // PostgreSQL runs as its own user when we are root
  const db = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: 54000 + Math.floor(Math.random() * 1000) });
  try {
    const result = await withSchemaEngine(db.url, to, (engine) =>
      engine.diff({
        from: from === null ? { tag: 'empty' } : { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: from }] },
        to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: to }] },
        script: true,
        exitCode: null,
        filters: { externalTables: [], externalEnums: [] },
      }),
    );
    const sql = result.stdout ?? '';
    if (!sql.trim() || /empty migration/i.test(sql)) {
      console.log('schema.prisma has no changes: no migration written');
      return;
    }
    const stamp = new Date()
      .toISOString()
      .replace(/[-:TZ.]/g, '')
      .slice(0, 14);
    const dir = path.join(migrationsDir, `${stamp}_${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'migration.sql'), sql);
    console.log(`wrote ${path.relative(process.cwd(), dir)}/migration.sql: review it before committing`);
  } finally {
    await db.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
