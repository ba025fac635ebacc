// The agent's own policy against the catalog server's orders, through real server and agent
// processes (issue 17 part 3). The server knows each agent's policy from its registration and
// refuses a format it forbids itself; a compromised catalog (here: its record of the policy
// rewritten in the database) passes the order on, and the agent refuses what its config does not allow with POLICY_DENIED before it touches a drive, a
// tape or a file. Each refusal leaves the catalog, the tapes in it and the cartridges on disk as
// they were. Two agents of the test's own policy: "closed" forbids formats; "careful" formats but
// never a tape that holds data, and backs up only its data directory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import pg from 'pg';
import { startStack, type Stack } from '../../support/stack.js';
import { findTestDatabaseUrl } from '../../support/test-database.js';
import { formatTape, startBackup, waitForJob, type JobView } from '../../support/graphql-ops.js';
import { startPolicyAgent, type PolicyAgent } from '../../support/policy-agent.js';
import { catalogSnapshot, treeSnapshot, type CatalogSnapshot } from '../../support/catalog-snapshot.js';

const UNFORMATTED = 'POL001L9';
const WITH_DATA = 'POL002L9';

const LABEL = 'sec-policy';

describe("the agent's own policy refuses the server's orders", { timeout: 240_000 }, () => {
  let stack: Stack;
  let closed: PolicyAgent;
  let careful: PolicyAgent;
  let data: string;
  let secret: string;

  before(async () => {
    stack = await startStack(LABEL);
    data = path.join(stack.tmp, 'data');
    secret = path.join(stack.tmp, 'secret');
    await mkdir(path.join(data, 'docs'), { recursive: true });
    await mkdir(secret, { recursive: true });
    await writeFile(path.join(data, 'docs/report.txt'), 'quarterly numbers\n');
    await writeFile(path.join(secret, 'id_ed25519'), 'not for the catalog\n');
    // Inside the allowed root by name, outside it in fact: only the agent can tell.
    await symlink(secret, path.join(data, 'to-secret'));
    const policy = { allowedBackupRoots: [data], allowedRestoreRoots: [stack.restoreRoot], allowForceFormat: false };
    closed = await startPolicyAgent(stack, { name: 'closed', barcodes: [UNFORMATTED], policy: { ...policy, allowFormat: false } });
    careful = await startPolicyAgent(stack, { name: 'careful', barcodes: [WITH_DATA], policy: { ...policy, allowFormat: true } });
    assert.equal((await waitForJob(stack.gql, await formatTape(stack.gql, WITH_DATA))).status, 'SUCCEEDED');
    const backup = await waitForJob(stack.gql, await startBackup(stack.gql, { agent: 'careful', paths: [path.join(data, 'docs')] }));
    assert.equal(backup.status, 'SUCCEEDED', `${backup.errorCode}: ${backup.errorMessage}`);
  });

  after(async () => {
    await closed?.stop();
    await careful?.stop();
    await stack?.stop();
  });

  /** The catalog without the jobs and runs the refused order itself made. */
  const withoutOrder = (s: CatalogSnapshot, jobId: string) => {
    const c = structuredClone(s.catalog) as { jobs: { edges: { node: { id: string } }[] }; runs: { edges: { node: { jobId: string } }[] } };
    return { ...s, catalog: { ...c, jobs: c.jobs.edges.filter((e) => e.node.id !== jobId), runs: c.runs.edges.filter((e) => e.node.jobId !== jobId) } };
  };
  const withoutCounts = (s: CatalogSnapshot) => {
    const c = structuredClone(s.catalog) as { jobs: { edges: unknown[] }; runs: { edges: unknown[] } };
    return { ...s, catalog: { ...c, jobs: c.jobs.edges, runs: c.runs.edges } };
  };

  /** Runs `order` (it returns its job's id) and checks that it failed POLICY_DENIED and changed nothing. */
  async function refusedByPolicy(agent: PolicyAgent, order: () => Promise<string>, message: RegExp): Promise<JobView> {
    const [catalogBefore, diskBefore] = [await catalogSnapshot(stack.gql), await treeSnapshot(agent.libraryDir)];
    const id = await order();
    const ended = await waitForJob(stack.gql, id, 60_000);
    assert.equal(ended.status, 'FAILED', JSON.stringify(ended));
    assert.equal(ended.errorCode, 'POLICY_DENIED');
    assert.match(ended.errorMessage ?? '', message);
    assert.match(ended.errorMessage ?? '', /refused by this agent's own policy, whatever the server asks/);
    assert.deepEqual(withoutOrder(await catalogSnapshot(stack.gql), id), withoutCounts(catalogBefore), 'the catalog is as it was');
    assert.deepEqual(await treeSnapshot(agent.libraryDir), diskBefore, 'the cartridges on disk are as they were');
    return ended;
  }

  /** The server refuses the format itself, before any job; the catalog is as it was. */
  async function refusedByServer(order: () => Promise<string>): Promise<void> {
    const before = await catalogSnapshot(stack.gql);
    await assert.rejects(order(), /POLICY_DENIED/);
    assert.deepEqual(await catalogSnapshot(stack.gql), before, 'no job, nothing changed');
  }

  /** A compromised catalog: its record of the agent's policy says formats are allowed. */
  async function catalogBelievesFormatsAllowed(agent: string): Promise<void> {
    const db = new pg.Client({ connectionString: await findTestDatabaseUrl(LABEL) });
    await db.connect();
    try {
      await db.query('UPDATE agent SET allow_format = true, allow_force_format = true WHERE name = $1', [agent]);
    } finally {
      await db.end();
    }
  }

  it('a format on an agent that forbids formats: POLICY_DENIED, the tape still unformatted in its slot', async () => {
    await refusedByServer(() => formatTape(stack.gql, UNFORMATTED));
    await catalogBelievesFormatsAllowed('closed');
    await refusedByPolicy(closed, () => formatTape(stack.gql, UNFORMATTED), /formatting tapes is not allowed on this agent \(allowFormat is false\)/);
    const r = await stack.gql.request<{ tape: { state: string; formatted: boolean; location: { slot: number; drive: string | null } } }>(
      `{ tape(barcode: "${UNFORMATTED}") { state formatted location { slot drive } } }`,
    );
    assert.deepEqual(r.tape, { state: 'SCRATCH', formatted: false, location: { slot: 1, drive: null } });
  });

  it('a forced format of a tape holding data, on an agent that allows formats but not forced ones: POLICY_DENIED, its data kept', async () => {
    // The server itself refuses a plain format of a tape with files on it, and a forced one on this agent.
    await refusedByServer(() => formatTape(stack.gql, WITH_DATA, true));
    await catalogBelievesFormatsAllowed('careful');
    await refusedByPolicy(
      careful,
      () => formatTape(stack.gql, WITH_DATA, true),
      /a forced format .* is not allowed on this agent \(allowForceFormat is false\)/,
    );
    const files = await stack.gql.request<{ files: { totalCount: number } }>(`{ files(filter: { tape: "${WITH_DATA}" }) { totalCount } }`);
    assert.ok(files.files.totalCount >= 1, 'the catalog still places files on the tape');
  });

  it('a backup of a directory outside allowedBackupRoots: POLICY_DENIED, nothing of it read into the catalog', async () => {
    await refusedByPolicy(
      careful,
      () => startBackup(stack.gql, { agent: 'careful', paths: [secret] }),
      /backup path ".*secret" is outside this agent's allowedBackupRoots/,
    );
  });

  it('a backup through a symlink that leads out of the allowed root (the server cannot see it): POLICY_DENIED', async () => {
    await refusedByPolicy(
      careful,
      () => startBackup(stack.gql, { agent: 'careful', paths: [path.join(data, 'to-secret')] }),
      /backup path ".*to-secret" is outside this agent's allowedBackupRoots/,
    );
    const leaked = await stack.gql.request<{ files: { totalCount: number } }>('{ files(filter: { nameGlob: "id_ed25519" }) { totalCount } }');
    assert.equal(leaked.files.totalCount, 0);
  });
});
