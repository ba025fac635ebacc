// Reliability: the catalog server killed with SIGKILL in the middle of a backup. The agent keeps its
// confirmed work and goes on writing; it reconnects when the server is back, and the job ends
// SUCCEEDED (finished by the same attempt, or interrupted by the restarted server and resumed) with every file in the catalog exactly once
// and its SHA-256 right. Real server, agent and database processes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { allFiles, formatTape, job, startBackup, waitForJob, waitForJobEnd } from '../support/graphql-ops.js';

const AGENT = 'survivor';
const FILES = 12_000;

describe('catalog server killed mid-backup', { timeout: 600_000 }, () => {
  let stack: Stack;
  let source: string;
  const hashes = new Map<string, string>();

  before(async () => {
    stack = await startStack('server-crash');
    source = path.join(stack.tmp, 'many');
    for (let d = 0; d < FILES / 1000; d++) {
      await mkdir(path.join(source, `dir${d}`), { recursive: true });
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) => {
          const body = randomBytes(1024 + (i % 3000));
          const file = path.join(source, `dir${d}`, `f${i}.dat`);
          hashes.set(file, createHash('sha256').update(body).digest('hex'));
          return writeFile(file, body);
        }),
      );
    }
    await stack.startAgent({ name: AGENT, barcodes: ['SRV001L9', 'SRV002L9'] });
    assert.equal((await waitForJob(stack.gql, await formatTape(stack.gql, 'SRV001L9'))).status, 'SUCCEEDED');
  });

  after(async () => {
    await stack?.stop();
  });

  it('the backup ends SUCCEEDED once the server is back, every file in the catalog once and right', async () => {
    const backupId = await startBackup(stack.gql, { agent: AGENT, paths: [source] });
    const running = await waitFor('the first checkpoint', async () => {
      const j = await job(stack.gql, backupId);
      const pastCheckpoint = (j.progress?.filesDone ?? 0) > 5500;
      return pastCheckpoint || !['QUEUED', 'ASSIGNED', 'RUNNING'].includes(j.status) ? j : undefined;
    });
    assert.equal(running.status, 'RUNNING', 'the backup is still running when the server is killed');

    await stack.killServer();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await stack.restartServer();

    // The restarted server may find the agent's heartbeats stale and interrupt the job first: the
    // agent's next beat then resumes it as its next attempt. Either way it ends SUCCEEDED.
    const ended = await waitForJobEnd(stack.gql, backupId);
    assert.equal(ended.status, 'SUCCEEDED', `${ended.errorCode}: ${ended.errorMessage}`);
    const files = await allFiles(stack.gql, { pathPrefix: source, host: AGENT, type: 'FILE' });
    assert.equal(new Set(files.map((f) => f.path)).size, files.length, 'no file twice');
    assert.equal(files.length, FILES, 'every file');
    for (const f of files) assert.equal(f.sha256, hashes.get(f.path), f.path);
  });
});
