// A file that changed while the backup read it, end to end: a backup with onChange FLAG of a tree
// holding a log that a writer appends to all along (every millisecond, from before the scan to after
// the job: the scan's lstat and the one after the read are separated by the getfattr run and the
// base comparison, many milliseconds, and the size differs whatever the clock's granularity). The
// version is queryable with changedDuringBackup, the others are not flagged, and a second catalog
// rebuilt from the tape alone says the same (the manifest line carries `changed`). The agent's
// integration tests (agent/test/integration/changed-during-read.test.ts) change files at exact points.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { GraphQLClient } from 'graphql-request';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { formatTape, startBackup, waitForJob, type JobView } from '../support/graphql-ops.js';

const AGENT = 'changing';
const TAPE = 'CHG001L9';

const succeeded = (j: JobView) => assert.equal(j.status, 'SUCCEEDED', `${j.errorCode} ${j.errorMessage}`);

/** path -> changedDuringBackup of every version of the host. */
async function flags(gql: GraphQLClient): Promise<Record<string, boolean>> {
  const r = await gql.request<{ files: { edges: Array<{ node: { path: string; changedDuringBackup: boolean } }> } }>(
    `{ files(filter: { host: "${AGENT}" }, first: 100) { edges { node { path changedDuringBackup } } } }`,
  );
  return Object.fromEntries(r.files.edges.map((e) => [e.node.path, e.node.changedDuringBackup]));
}

describe('a file that changed while it was read, through the catalog and a rebuild', { timeout: 300_000 }, () => {
  let first: Stack;
  let second: Stack | undefined;
  let writer: ChildProcess | undefined;
  let source: string;

  before(async () => {
    first = await startStack('changed-a');
    source = path.join(first.tmp, 'data');
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, 'still.txt'), 'never changes\n');
    await writeFile(path.join(source, 'growing.log'), 'first line\n');
    await first.startAgent({ name: AGENT, barcodes: [TAPE], drives: 1 });
    succeeded(await waitForJob(first.gql, await formatTape(first.gql, TAPE)));
  });

  after(async () => {
    writer?.kill('SIGKILL');
    await second?.stop();
    await first?.stop();
  });

  it('flags the version, GraphQL shows it, and a catalog rebuilt from the tape keeps it', async () => {
    const log = path.join(source, 'growing.log');
    writer = spawn(process.execPath, ['-e', `setInterval(() => require('fs').appendFileSync(${JSON.stringify(log)}, 'another line\\n'), 1)`], {
      stdio: 'ignore',
    });
    // The writer is running before the backup starts.
    const size0 = statSync(log).size;
    await waitFor('the writer to append', async () => (statSync(log).size > size0 ? true : undefined));
    const id = await startBackup(first.gql, { agent: AGENT, paths: [source], onChange: 'FLAG' });
    const done = await waitForJob(first.gql, id);
    writer.kill('SIGKILL');
    succeeded(done);
    const want = { [source]: false, [path.join(source, 'still.txt')]: false, [log]: true };
    assert.deepEqual(await flags(first.gql), want);
    const events = await first.gql.request<{ job: { events: Array<{ level: string; message: string }> } }>(
      'query($id: ID!) { job(id: $id) { events { level message } } }',
      { id },
    );
    assert.ok(
      events.job.events.some((e) => e.level === 'warn' && e.message.startsWith(`${log}: changed while it was read (`)),
      events.job.events.map((e) => e.message).join('\n'),
    );

    await first.stopAgent(AGENT);
    second = await startStack('changed-b');
    await second.startAgent({ name: AGENT, barcodes: [TAPE], drives: 1, libraryDir: first.libraryDirOf(AGENT) });
    const rebuild = await second.gql.request<{ rebuildCatalog: { id: string } }>(`mutation { rebuildCatalog(input: { tape: "${TAPE}" }) { id } }`);
    succeeded(await waitForJob(second.gql, rebuild.rebuildCatalog.id));
    assert.deepEqual(await flags(second.gql), want);
  });
});
