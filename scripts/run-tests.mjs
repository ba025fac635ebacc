#!/usr/bin/env node
// Runs every compiled test file with Node's test runner, against one PostgreSQL for the whole run:
// FERRITE_TEST_DATABASE_URL when set (any PostgreSQL you like), otherwise an embedded one in a temp
// directory. Test files create their own databases on it.
// Usage: run-tests.mjs [unit|integration|e2e]... [--only SUBSTRING]   (e.g. --only agent-crash)
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packages = ['prisma', 'agent', 'catalog-server'];
const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv.splice(onlyAt, 2)[1] : undefined;
const layers = argv;

async function findTests(dir) {
  const out = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await findTests(p)));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = [];
for (const pkg of packages) {
  for (const f of await findTests(path.join(root, pkg, 'dist', 'test'))) {
    const layer = path.relative(path.join(root, pkg, 'dist', 'test'), f).split(path.sep)[0];
    if ((layers.length === 0 || layers.includes(layer)) && (!only || f.includes(only))) files.push(f);
  }
}
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
files.sort((a, b) => (a.includes('/e2e/') ? 1 : 0) - (b.includes('/e2e/') ? 1 : 0) || a.localeCompare(b));

let embedded;
let tmp;
const env = { ...process.env };
if (!env.FERRITE_TEST_DATABASE_URL) {
  const { startEmbeddedPostgres } = await import(path.join(root, 'prisma', 'dist', 'index.js'));
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-test-pg-'));
  await chmod(tmp, 0o755); // PostgreSQL runs as its own user when we are root
  const port = 55000 + Math.floor(Math.random() * 2000);
  embedded = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port, database: 'ferrite_test_admin' });
  env.FERRITE_TEST_DATABASE_URL = embedded.url;
}

// One agents' CA for the in-process test servers of this run (test/support/agent-credentials.ts).
const caRoot = await mkdtemp(path.join(os.tmpdir(), 'ferrite-test-ca-'));
env.FERRITE_TEST_CA_DIR = path.join(caRoot, 'ca');

const child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env, cwd: root });
const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
if (embedded) await embedded.stop();
if (tmp) await rm(tmp, { recursive: true, force: true });
await rm(caRoot, { recursive: true, force: true });
process.exit(code);
