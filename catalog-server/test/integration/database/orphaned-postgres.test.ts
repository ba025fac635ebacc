// A catalog server killed with SIGKILL leaves its embedded PostgreSQL running without a parent;
// the next start stops that orphan cleanly and starts its own on the same data directory (what
// `npm start` relies on when it restarts a server that died). Real PostgreSQL, a real kill -9.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, stopOrphanedPostmaster } from '@ferrite/db';
import { freePort } from '../../support/ports.js';
import { processAlive } from '../../support/processes.js';

describe('embedded PostgreSQL left running by a killed server', { timeout: 180_000 }, () => {
  let tmp = '';
  after(() => tmp && rm(tmp, { recursive: true, force: true }));

  it('is stopped at the next start, which then runs its own', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-orphan-pg-'));
    await chmod(tmp, 0o755); // PostgreSQL runs as its own user when we are root
    const dataDir = path.join(tmp, 'pg');
    const port = await freePort();
    // A process that starts the embedded PostgreSQL, as the server does, and is then killed.
    const script = `import('@ferrite/db').then((m) => m.startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port} })).then(() => console.log('up'))`;
    const owner = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      owner.stdout.on('data', (d: Buffer) => d.toString().includes('up') && resolve());
      owner.once('exit', (code) => reject(new Error(`the first owner exited with ${code} before PostgreSQL was up`)));
    });
    owner.kill('SIGKILL');
    await new Promise((r) => owner.once('exit', r));
    const orphan = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    assert.ok(processAlive(orphan), 'PostgreSQL outlived the killed process');

    const db = await startEmbeddedPostgres({ dataDir, port });
    try {
      assert.equal(processAlive(orphan), false, 'the orphan was stopped');
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      assert.equal((await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1);
      await client.end();
      // The running one has a live parent (this process): it is not taken for an orphan.
      assert.equal(await stopOrphanedPostmaster(dataDir), false);
    } finally {
      await db.stop();
    }
  });
});
