// The walk a newcomer does by hand, done through GraphQL only: format a tape, back up an awkward
// tree, find it by glob and by path prefix, restore it elsewhere and compare every byte, mode, mtime
// and hash with the source. Real server process, real agent process, real PostgreSQL, gRPC on loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chown, lstat, mkdir, writeFile } from 'node:fs/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startStack, type Stack } from '../support/stack.js';
import { buildSourceTree, describeTree, ATTRIBUTE_PATHS, HARD_LINK_GROUPS, SPARSE, AWKWARD_NAMES, AWKWARD_TIMES } from '../support/tree.js';
import { allFiles, errorCodeOf, formatTape, startBackup, startRestore, waitForJob, job } from '../support/graphql-ops.js';

const AGENT = 'tape-01';
const SMALL_FILES = 1000;
const BIG = 50 * 1024 * 1024;
/** Owners the agent (root here, as in CI) can give back: numbers without a name on this host, and
 *  nobody:nogroup by name. Without root the tree keeps the test's own user throughout. */
const AS_ROOT = process.getuid?.() === 0;
const OWNED = { 'private.txt': [4242, 4343], 'script.sh': [65_534, 65_534] } as const;

describe('walking skeleton: GraphQL -> agent -> emulated tape -> catalog -> restore', { timeout: 600_000 }, () => {
  let stack: Stack;
  let source: string;

  before(async () => {
    stack = await startStack('skeleton');
    source = path.join(stack.tmp, 'source data');
    await buildSourceTree(source, { smallFiles: SMALL_FILES, bigFileBytes: BIG });
    if (AS_ROOT) for (const [rel, [uid, gid]] of Object.entries(OWNED)) await chown(path.join(source, rel), uid, gid);
    await stack.startAgent({ name: AGENT, barcodes: ['FER001L9', 'FER002L9', 'FER003L9'] });
  });

  after(async () => {
    await stack?.stop();
  });

  it('shows the agent with its drives, library slots and tapes', async () => {
    type Tape = { barcode: string; state: string; location: { agent: string | null; slot: number | null } };
    const r = await stack.gql.request<{
      agents: {
        edges: Array<{
          node: {
            name: string;
            online: boolean;
            drives: Array<{ name: string; state: string }>;
            changers: Array<{ slotCount: number; slots: Array<{ slot: number; barcode: string | null }> }>;
          };
        }>;
      };
      tapes: { edges: Array<{ node: Tape }> };
    }>(
      '{ agents { edges { node { name online drives { name state } changers { slotCount slots { slot barcode } } } } } tapes { edges { node { barcode state location { agent slot } } } } }',
    );
    const agent = r.agents.edges.map((e) => e.node).find((a) => a.name === AGENT);
    assert.ok(agent?.online);
    assert.deepEqual(agent.drives.map((d) => [d.name, d.state]).sort(), [
      ['drive0', 'EMPTY'],
      ['drive1', 'EMPTY'],
    ]);
    assert.equal(agent.changers[0]?.slotCount, 8);
    assert.deepEqual(
      agent.changers[0]?.slots.filter((s) => s.barcode).map((s) => [s.slot, s.barcode]),
      [
        [1, 'FER001L9'],
        [2, 'FER002L9'],
        [3, 'FER003L9'],
      ],
    );
    assert.deepEqual(
      r.tapes.edges.map((e) => e.node).sort((a, b) => a.barcode.localeCompare(b.barcode)),
      [1, 2, 3].map((i) => ({ barcode: `FER00${i}L9`, state: 'SCRATCH', location: { agent: AGENT, slot: i } })),
    );
  });

  it('formats a tape, streaming progress over the jobUpdated subscription', async () => {
    const id = await formatTape(stack.gql, 'FER001L9');
    const ws = createClient({
      url: stack.graphqlUrl.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${stack.adminToken}` },
    });
    const seen: string[] = [];
    const finished = new Promise<void>((resolve, reject) => {
      ws.subscribe<{ jobUpdated: { status: string } }>(
        { query: 'subscription($id: ID!) { jobUpdated(id: $id) { id status progress { filesTotal } } }', variables: { id } },
        {
          next: (msg) => {
            const status = msg.data?.jobUpdated.status;
            if (status) seen.push(status);
            if (status === 'SUCCEEDED' || status === 'FAILED') resolve();
          },
          error: reject,
          complete: () => resolve(),
        },
      );
    });
    // The subscription starts with the job's current state, so it ends with the final one even if
    // the job finished before the subscription was up.
    await finished;
    await ws.dispose();
    const done = await job(stack.gql, id);
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode}: ${done.errorMessage}`);
    assert.equal(seen.at(-1), 'SUCCEEDED', `statuses seen over the subscription: ${seen.join(', ')}`);
    const tape = await stack.gql.request<{ tape: { state: string; formattedAt: string | null; volumeUuid: string | null } }>(
      '{ tape(barcode: "FER001L9") { state formattedAt volumeUuid } }',
    );
    assert.ok(tape.tape.formattedAt);
    assert.match(tape.tape.volumeUuid ?? '', /^[0-9a-f-]{36}$/);
  });

  it('backs up, finds, restores and verifies the whole tree', async () => {
    const backupId = await startBackup(stack.gql, { agent: AGENT, paths: [source], excludes: [] });
    const backup = await waitForJob(stack.gql, backupId, 300_000);
    assert.equal(backup.status, 'SUCCEEDED', `${backup.errorCode}: ${backup.errorMessage}`);
    assert.equal(backup.progress?.bytesDone, backup.progress?.bytesTotal);
    assert.ok((backup.progress?.bytesTotal ?? 0) > BIG);

    const sourceTree = await describeTree(source);

    // Search: by glob over names, and by path prefix.
    const txt = await allFiles(stack.gql, { nameGlob: 'file-00*.txt', host: AGENT });
    assert.equal(txt.length, 100);
    assert.ok(txt.every((f) => f.path.startsWith(`${source}/small/file-00`)));
    const nested = await allFiles(stack.gql, { pathPrefix: `${source}/nested`, host: AGENT });
    const expectedNested = [...sourceTree.keys()]
      .filter((k) => k === 'nested' || k.startsWith('nested/'))
      .map((k) => `${source}/${k}`)
      .sort();
    assert.deepEqual(nested.map((f) => f.path).sort(), expectedNested);
    for (const name of AWKWARD_NAMES) {
      const hit = nested.find((f) => f.name === name);
      assert.ok(hit, `file named ${JSON.stringify(name)} is in the catalog`);
      assert.equal(hit.sha256, sourceTree.get(`nested/${name}`)?.sha256);
    }
    const big = nested.find((f) => f.name === 'big file.bin')!;
    assert.equal(big.size, BIG);
    assert.equal(big.placements.length, 1);
    assert.equal(big.placements[0].barcode, 'FER001L9');
    assert.equal(big.placements[0].partition, 'b');

    // Every file the catalog holds carries the hash of the source bytes.
    const everything = await allFiles(stack.gql, { pathPrefix: source, host: AGENT });
    assert.equal(everything.length, sourceTree.size);
    for (const f of everything) {
      const rel = path.relative(source, f.path);
      const src = sourceTree.get(rel);
      assert.ok(src, `catalog entry ${f.path} exists in the source`);
      if (src.type === 'file') assert.equal(f.sha256, src.sha256, f.path);
      // Times to the nanosecond in the catalog: .9996 s, the epoch and before it, 2100, sub-microsecond.
      assert.equal(f.mtimeNs, src.mtimeNs, `mtimeNs of ${f.path}`);
    }
    // Extended attributes and ACLs in the catalog, as getfattr shows them on the source (hex there).
    for (const f of everything) {
      const src = sourceTree.get(path.relative(source, f.path))!;
      const shown = f.xattrs.map((x) => `${x.name}=0x${Buffer.from(x.value, 'base64').toString('hex')}`).sort();
      assert.deepEqual(shown, [...(src.xattrs ?? [])].sort(), `xattrs of ${f.path}`);
    }
    const at = (rel: string) => everything.find((f) => f.path === `${source}/${rel}`)!;
    assert.equal(at(ATTRIBUTE_PATHS.bundled).xattrs.find((x) => x.name === 'user.origin')?.text, 'scanner 7');
    assert.deepEqual(at(ATTRIBUTE_PATHS.aclFile).acl, {
      access: ['user::rw-', 'user:1000:rw-', 'group::---', 'group:100:r--', 'mask::rw-', 'other::---'],
      default: null,
    });
    assert.deepEqual(at(ATTRIBUTE_PATHS.aclDir).acl?.default, ['user::rwx', 'group::r-x', 'group:100:r-x', 'mask::r-x', 'other::r-x']);
    assert.equal(at('script.sh').acl, null);
    // Hard links: every name with its link count, the others naming the first, whose content they share.
    for (const [first, ...others] of HARD_LINK_GROUPS) {
      assert.deepEqual([at(first).linkCount, at(first).hardLinkTo], [first === HARD_LINK_GROUPS[0][0] ? 3 : 2, null]);
      for (const other of others) {
        assert.deepEqual([at(other).linkCount, at(other).hardLinkTo, at(other).sha256], [at(first).linkCount, `${source}/${first}`, at(first).sha256]);
        assert.deepEqual(at(other).placements, at(first).placements, 'one content on tape');
      }
    }
    assert.equal(at('script.sh').linkCount, 1);
    // Ownership in the catalog: by number, and by name where this host has one.
    const me = [process.getuid?.() ?? null, process.getgid?.() ?? null];
    assert.deepEqual([at('empty.txt').uid, at('empty.txt').gid], me);
    if (AS_ROOT) {
      assert.deepEqual([at('empty.txt').owner, at('empty.txt').group], ['root', 'root']);
      assert.deepEqual(
        ['private.txt', 'script.sh'].map((rel) => [at(rel).uid, at(rel).gid, at(rel).owner, at(rel).group]),
        [
          [4242, 4343, null, null],
          [65_534, 65_534, 'nobody', 'nogroup'],
        ],
      );
    }
    // The sparse file: recorded sparse, its three blocks on tape, the SHA-256 of the whole file.
    const sparse = at(SPARSE.path);
    assert.deepEqual([sparse.sparse, sparse.dataBytes, sparse.size], [true, SPARSE.blocks.length * SPARSE.blockBytes, SPARSE.size]);
    assert.equal(sparse.sha256, sourceTree.get(SPARSE.path)?.sha256);
    assert.equal(at('script.sh').sparse, false);
    assert.deepEqual([at('special/pipe').type, at('special/null-like').type, at('special/null-like').device], ['FIFO', 'CHAR_DEVICE', { major: 1, minor: 3 }]);
    for (const rel of Object.keys(AWKWARD_TIMES))
      assert.equal(sourceTree.get(rel)?.mtimeNs, String(AWKWARD_TIMES[rel]), `the source has ${rel}'s awkward time`);

    // Restore everything into a new directory and compare.
    const target = path.join(stack.restoreRoot, 'restored');
    const restoreId = await startRestore(stack.gql, {
      agent: AGENT,
      selection: { host: AGENT, pathPrefix: source },
      targetDirectory: target,
      stripPrefix: source,
    });
    const restore = await waitForJob(stack.gql, restoreId, 300_000);
    assert.equal(restore.status, 'SUCCEEDED', `${restore.errorCode}: ${restore.errorMessage}`);
    const restoredTree = await describeTree(target);
    // Not a vacuous comparison: the source has the attributes the tree was given.
    assert.ok(sourceTree.get(ATTRIBUTE_PATHS.bundled)?.xattrs?.some((l) => l.startsWith('trusted.secret=')));
    assert.ok(sourceTree.get(ATTRIBUTE_PATHS.aclDir)?.acl?.includes('default:group:100:r-x'));
    assert.equal(sourceTree.get('special/null-like')?.device, '1:3');
    assert.equal(sourceTree.get(SPARSE.path)?.dataMap, SPARSE.blocks.map((b) => `${b}:${SPARSE.blockBytes}`).join(','));
    assert.deepEqual(sourceTree.get(HARD_LINK_GROUPS[0][2])?.links, { count: 3, first: HARD_LINK_GROUPS[0][0] });
    assert.deepEqual([...restoredTree.keys()].sort(), [...sourceTree.keys()].sort());
    for (const [rel, want] of sourceTree) {
      assert.deepEqual(restoredTree.get(rel), want, `restored ${JSON.stringify(rel)} matches its source`);
    }
    // Every entry's owner and group came back from the catalog (as root; otherwise the agent's own).
    for (const rel of ['', 'empty.txt', 'nested', ...Object.keys(OWNED)]) {
      const [src, back] = await Promise.all([lstat(path.join(source, rel)), lstat(path.join(target, rel))]);
      assert.deepEqual([back.uid, back.gid], [src.uid, src.gid], `owner of restored ${JSON.stringify(rel)}`);
    }
  });

  it('restores every other file when some cannot be written, and lists those that failed', async () => {
    // A plain file stands where the directory nested/deeper must go: the three entries under it
    // cannot be restored; everything else in nested/ must be.
    const target = path.join(stack.restoreRoot, 'in-the-way');
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'deeper'), 'not a directory');
    const id = await startRestore(stack.gql, {
      agent: AGENT,
      selection: { host: AGENT, pathPrefix: `${source}/nested` },
      targetDirectory: target,
      stripPrefix: `${source}/nested`,
    });
    await waitForJob(stack.gql, id, 300_000);
    const r = await stack.gql.request<{
      job: {
        status: string;
        errorCode: string;
        errorMessage: string;
        progress: { filesFailed: number; filesTotal: number };
        failedFiles: Array<{ path: string; message: string; level: string }>;
      };
    }>('query($id: ID!) { job(id: $id) { status errorCode errorMessage progress { filesFailed filesTotal } failedFiles { path message level } } }', { id });
    const failedPaths = ['deeper', 'deeper/deepest', 'deeper/deepest/leaf.bin'].map((p) => `${source}/nested/${p}`);
    assert.equal(r.job.status, 'FAILED');
    assert.equal(r.job.errorCode, 'RESTORE_INCOMPLETE');
    assert.match(r.job.errorMessage, new RegExp(`^3 of ${r.job.progress.filesTotal} files could not be restored: `));
    assert.equal(r.job.progress.filesFailed, 3);
    assert.deepEqual(r.job.failedFiles.map((f) => f.path).sort(), failedPaths.sort());
    assert.ok(
      r.job.failedFiles.every((f) => f.level === 'error' && /\bE(NOTDIR|EXIST)\b/.test(f.message)),
      JSON.stringify(r.job.failedFiles),
    );
    const want = await describeTree(path.join(source, 'nested'));
    const got = await describeTree(target);
    for (const [rel, entry] of want) {
      if (rel === '' || rel === 'deeper' || rel.startsWith('deeper/')) continue;
      assert.deepEqual(got.get(rel), entry, `restored ${JSON.stringify(rel)} despite the failures`);
    }
  });

  it('refuses bad input with stable codes and changes nothing', async () => {
    const before = await stack.gql.request<{ jobs: { edges: unknown[] } }>('{ jobs(first: 100) { edges { node { id } } } }');
    assert.equal(await errorCodeOf(startBackup(stack.gql, { agent: 'no-such-agent', paths: ['/tmp'] })), 'AGENT_NOT_FOUND');
    assert.equal(await errorCodeOf(formatTape(stack.gql, 'NOPE01L9')), 'TAPE_NOT_FOUND');
    assert.equal(await errorCodeOf(formatTape(stack.gql, 'FER001L9')), 'TAPE_NOT_EMPTY');
    assert.equal(await errorCodeOf(job(stack.gql, '00000000-0000-0000-0000-000000000000')), 'JOB_NOT_FOUND');
    assert.equal(await errorCodeOf(stack.gql.request('{ tape(barcode: "NOPE01L9") { barcode } }')), 'TAPE_NOT_FOUND');
    assert.equal(await errorCodeOf(stack.gql.request('{ agent(name: "nobody") { name } }')), 'AGENT_NOT_FOUND');
    const finished = (
      await stack.gql.request<{ jobs: { edges: Array<{ node: { id: string; status: string } }> } }>(
        '{ jobs(filter: { status: SUCCEEDED }) { edges { node { id status } } } }',
      )
    ).jobs.edges[0].node;
    assert.equal(await errorCodeOf(stack.gql.request('mutation($id: ID!) { cancelJob(id: $id) { id } }', { id: finished.id })), 'JOB_ALREADY_FINISHED');
    assert.equal((await job(stack.gql, finished.id)).status, 'SUCCEEDED');
    const restoreInput = (targetDirectory: string) => ({ agent: AGENT, selection: { host: AGENT, pathPrefix: source }, targetDirectory });
    assert.equal(await errorCodeOf(startRestore(stack.gql, restoreInput(`${stack.restoreRoot}/../escape`))), 'RESTORE_TARGET_INVALID');
    await mkdir('/tmp/ferrite-not-allowed', { recursive: true });
    assert.equal(await errorCodeOf(startRestore(stack.gql, restoreInput('/tmp/ferrite-not-allowed'))), 'RESTORE_TARGET_NOT_ALLOWED');
    const after = await stack.gql.request<{ jobs: { edges: unknown[] } }>('{ jobs(first: 100) { edges { node { id } } } }');
    assert.equal(after.jobs.edges.length, before.jobs.edges.length, 'no job was created by bad input');

    // A path that does not exist on the agent: the job fails before anything is written.
    const missing = await startBackup(stack.gql, { agent: AGENT, paths: [path.join(stack.tmp, 'does-not-exist')] });
    const failed = await waitForJob(stack.gql, missing);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.errorCode, 'BACKUP_PATH_NOT_FOUND');
    assert.match(failed.errorMessage ?? '', /does-not-exist/);
  });
});
