// A catalog rebuilt from the tapes alone, end to end: one catalog server backs up two sources (a
// FULL, then changes, then an INCREMENTAL) to an emulated tape; a second server on an empty
// database, with an agent on the same library, runs rebuildCatalog on that tape. It must end up
// with the same jobs, runs (ids, levels, bases, counts), file versions (deletion markers included),
// placements and point-in-time listings, restore the incremental's state byte for byte, and add
// nothing when the same tape is read again. Real servers, agents, gRPC, PostgreSQL and files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import type { GraphQLClient } from 'graphql-request';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { describeTree } from '../support/tree.js';
import { errorCodeOf, formatTape, startBackup, startRestore, waitForJob, type JobView, type RunView as BaseRunView } from '../support/graphql-ops.js';

const AGENT = 'archiver';
const TAPE = 'RBD001L9';

interface RunView extends BaseRunView {
  root: string;
  finishedAt: string | null;
}

const RUN_FIELDS = 'id jobId root level baseRunId added modified deleted unchanged finishedAt';

async function runs(gql: GraphQLClient): Promise<RunView[]> {
  const r = await gql.request<{ runs: { edges: Array<{ node: RunView }> } }>(`{ runs(first: 100) { edges { node { ${RUN_FIELDS} } } } }`);
  return r.runs.edges.map((e) => e.node).sort((a, b) => a.id.localeCompare(b.id));
}

/** Every version the catalog holds of the host, deletion markers included, without catalog-local ids. */
async function versions(gql: GraphQLClient): Promise<string[]> {
  const out: string[] = [];
  let after: string | null = null;
  for (;;) {
    const r: {
      files: {
        edges: Array<{ node: Record<string, unknown> & { placements: Array<Record<string, unknown>> } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } = await gql.request(
      `query($a: String) { files(filter: { host: "${AGENT}", includeDeleted: true }, first: 500, after: $a) {
           edges { node { path type size mtime mode sha256 symlinkTarget runId jobId deleted placements { barcode partition startBlock containerPath offset length copy } } }
           pageInfo { hasNextPage endCursor } } }`,
      { a: after },
    );
    out.push(...r.files.edges.map((e) => JSON.stringify(e.node)));
    if (!r.files.pageInfo.hasNextPage) return out.sort();
    after = r.files.pageInfo.endCursor;
  }
}

async function listing(gql: GraphQLClient, dir: string, asOf: string): Promise<string[]> {
  const r = await gql.request<{ directory: { edges: Array<{ node: { name: string; sha256: string | null } }> } }>(
    'query($h: String!, $p: String!, $a: String) { directory(host: $h, path: $p, asOf: $a) { edges { node { name sha256 } } } }',
    { h: AGENT, p: dir, a: asOf },
  );
  return r.directory.edges.map((e) => `${e.node.name} ${e.node.sha256}`).sort();
}

const succeeded = (j: JobView) => assert.equal(j.status, 'SUCCEEDED', `${j.errorCode} ${j.errorMessage}`);

describe('rebuilding the catalog from a tape alone', { timeout: 600_000 }, () => {
  let first: Stack;
  let second: Stack | undefined;
  let docs: string;
  let pics: string;

  before(async () => {
    first = await startStack('rebuild-a');
    const source = path.join(first.tmp, 'data');
    docs = path.join(source, 'docs');
    pics = path.join(source, 'pics');
    await mkdir(path.join(docs, 'old'), { recursive: true });
    await mkdir(pics, { recursive: true });
    await writeFile(path.join(docs, 'a.txt'), 'version one\n');
    await writeFile(path.join(docs, 'gone.txt'), 'deleted before the incremental\n');
    await writeFile(path.join(docs, 'old', 'kept.txt'), 'never changes\n');
    await writeFile(path.join(pics, 'big.raw'), randomBytes(1_500_000));
    // Extended attributes and ACLs live only in the manifests on tape: the rebuilt catalog must have them.
    execFileSync('setfattr', ['-n', 'user.kept', '-v', 'from the tape', path.join(docs, 'old', 'kept.txt')]);
    execFileSync('setfacl', ['-m', 'u:1000:rx', '-d', '-m', 'g:100:rx', path.join(docs, 'old')]);
    await first.startAgent({ name: AGENT, barcodes: [TAPE], drives: 1 });
    // A library of blank tapes has nothing to read back.
    assert.equal(await errorCodeOf(first.gql.request(`mutation { rebuildCatalogFromLibrary(agent: "${AGENT}") { id } }`)), 'NOTHING_TO_REBUILD');
    succeeded(await waitForJob(first.gql, await formatTape(first.gql, TAPE)));
  });

  after(async () => {
    await second?.stop();
    await first?.stop();
  });

  it('holds afterwards what the first catalog held: jobs, runs, versions, placements, listings', async () => {
    succeeded(await waitForJob(first.gql, await startBackup(first.gql, { agent: AGENT, paths: [docs, pics] })));
    await writeFile(path.join(docs, 'a.txt'), 'version two, longer\n');
    await rm(path.join(docs, 'gone.txt'));
    await writeFile(path.join(docs, 'new.txt'), 'added for the incremental\n');
    succeeded(await waitForJob(first.gql, await startBackup(first.gql, { agent: AGENT, paths: [docs, pics], level: 'INCREMENTAL' })));
    const wantRuns = await waitFor('the runs to be counted', async () => {
      const all = await runs(first.gql);
      return all.length === 4 && all.every((r) => r.finishedAt) ? all : undefined;
    });
    const wantVersions = await versions(first.gql);
    const fullDocs = wantRuns.find((r) => r.root === docs && r.level === 'FULL')!;
    const incrDocs = wantRuns.find((r) => r.root === docs && r.level === 'INCREMENTAL')!;
    assert.equal(incrDocs.baseRunId, fullDocs.id);
    assert.equal(incrDocs.deleted, 1);
    const wantAsOfFull = await listing(first.gql, docs, fullDocs.id);
    const wantAsOfIncr = await listing(first.gql, docs, incrDocs.id);
    assert.ok(wantAsOfFull.some((l) => l.startsWith('gone.txt ')) && !wantAsOfIncr.some((l) => l.startsWith('gone.txt ')));

    // The catalog is lost: a new server on an empty database, an agent on the same library.
    await first.stopAgent(AGENT);
    second = await startStack('rebuild-b');
    await second.startAgent({ name: AGENT, barcodes: [TAPE], drives: 1, libraryDir: first.libraryDirOf(AGENT) });
    assert.deepEqual(await runs(second.gql), []);
    assert.equal(await errorCodeOf(second.gql.request('mutation { rebuildCatalog(input: { tape: "NOPE01L9" }) { id } }')), 'TAPE_NOT_FOUND');

    const rebuild = await second.gql.request<{ rebuildCatalog: { id: string } }>(`mutation { rebuildCatalog(input: { tape: "${TAPE}" }) { id } }`);
    succeeded(await waitForJob(second.gql, rebuild.rebuildCatalog.id));
    const job = await second.gql.request<{ job: { kind: string; summary: string; events: Array<{ message: string }> } }>(
      'query($id: ID!) { job(id: $id) { kind summary events { message } } }',
      { id: rebuild.rebuildCatalog.id },
    );
    assert.equal(job.job.kind, 'REBUILD');
    assert.ok(
      job.job.events.some((e) => /2 backup job attempt\(s\) from RBD001L9 .*: (\d+) added to the catalog, 0 already there/.test(e.message)),
      job.job.events.map((e) => e.message).join('\n'),
    );

    // The tape records when each job started, not when it ended: a rebuilt run counts as finished then.
    const got = await runs(second.gql);
    const withoutFinish = (list: RunView[]) => list.map((r) => ({ ...r, finishedAt: null }));
    assert.deepEqual(withoutFinish(got), withoutFinish(wantRuns), 'the same runs: ids, roots, levels, bases and counts');
    for (const [i, r] of got.entries()) {
      assert.ok(r.finishedAt && Date.parse(r.finishedAt) <= Date.parse(wantRuns[i].finishedAt!), `run ${r.id} finished by the time it really did`);
    }
    assert.deepEqual(await versions(second.gql), wantVersions, 'the same versions and placements');
    assert.deepEqual(await listing(second.gql, docs, fullDocs.id), wantAsOfFull);
    assert.deepEqual(await listing(second.gql, docs, incrDocs.id), wantAsOfIncr);
    const tape = await second.gql.request<{ tape: { state: string; formatted: boolean } }>(`{ tape(barcode: "${TAPE}") { state formatted } }`);
    assert.deepEqual(tape.tape, { state: 'ACTIVE', formatted: true });

    // Reading the whole library again (one formatted tape in it) adds nothing.
    assert.equal(await errorCodeOf(second.gql.request('mutation { rebuildCatalogFromLibrary(agent: "nobody") { id } }')), 'AGENT_NOT_FOUND');
    const again = await second.gql.request<{ rebuildCatalogFromLibrary: Array<{ id: string; summary: string }> }>(
      `mutation { rebuildCatalogFromLibrary(agent: "${AGENT}") { id summary } }`,
    );
    assert.deepEqual(
      again.rebuildCatalogFromLibrary.map((j) => j.summary),
      [`rebuild the catalog from what tape ${TAPE} holds`],
    );
    succeeded(await waitForJob(second.gql, again.rebuildCatalogFromLibrary[0].id));
    const events = await second.gql.request<{ job: { events: Array<{ message: string }> } }>('query($id: ID!) { job(id: $id) { events { message } } }', {
      id: again.rebuildCatalogFromLibrary[0].id,
    });
    assert.ok(events.job.events.some((e) => /: 0 added to the catalog, \d+ already there/.test(e.message)));
    assert.deepEqual(await versions(second.gql), wantVersions);
  });

  it('restores from the rebuilt catalog byte for byte', async () => {
    assert.ok(second, 'the rebuild ran');
    const target = path.join(second.restoreRoot, 'docs-now');
    const want = await describeTree(docs);
    assert.deepEqual(want.get('old/kept.txt')?.xattrs, [`user.kept=0x${Buffer.from('from the tape').toString('hex')}`]);
    assert.ok(want.get('old')?.acl?.includes('default:group:100:r-x'));
    succeeded(
      await waitForJob(
        second.gql,
        await startRestore(second.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: docs }, targetDirectory: target, stripPrefix: docs }),
      ),
    );
    assert.deepEqual(await describeTree(target), want);
  });
});
