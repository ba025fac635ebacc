// A backup that spans tapes, killed on its third tape and resumed (issue 15): about 150 MiB of
// 3 MiB files on 64 MiB emulated cartridges (8 MiB early-warning zone). The agent is killed with
// SIGKILL once the job writes its third tape; the server marks the agent offline and the job
// INTERRUPTED; the agent comes back with the same name, library and configuration, and the job
// resumes by itself as attempt 2 on the tape it was writing. Afterwards every file is in the catalog
// exactly once with its SHA-256, the earlier tapes are FULL, and a restore of the whole source is
// byte for byte (contents, modes, times to the nanosecond).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { startStack, waitFor, type AgentOptions, type Stack } from '../support/stack.js';
import { describeTree } from '../support/tree.js';
import { allFiles, startBackup, startRestore, waitForJob, type FileNode } from '../support/graphql-ops.js';

const AGENT = 'respanner';
const TAPES = Array.from({ length: 6 }, (_, i) => `RSP${String(i + 1).padStart(3, '0')}L9`);
const MiB = 1024 * 1024;
const FILES = 50; // 50 x 3 MiB: 150 MiB, three tapes of about 56 MiB each

interface JobState {
  status: string;
  attempt: number;
  tapes: string[];
  errorCode: string | null;
  errorMessage: string | null;
  progress: { currentTape: string | null; filesDone: number; bytesDone: number } | null;
}

describe('a spanning backup killed on its third tape', { timeout: 600_000 }, () => {
  let stack: Stack;
  const agentOptions: AgentOptions = { name: AGENT, barcodes: TAPES, drives: 2, slots: 8, capacityBytes: 64 * MiB, earlyWarningBytes: 8 * MiB };
  const source = () => path.join(stack.tmp, 'span-src');
  const hashes = new Map<string, string>();

  const jobState = async (id: string): Promise<JobState> =>
    (
      await stack.gql.request<{ job: JobState }>(
        'query($id: ID!) { job(id: $id) { status attempt tapes errorCode errorMessage progress { currentTape filesDone bytesDone } } }',
        { id },
      )
    ).job;
  const tapeStates = async (): Promise<Map<string, string>> => {
    const r = await stack.gql.request<{ tapes: { edges: { node: { barcode: string; state: string } }[] } }>('{ tapes { edges { node { barcode state } } } }');
    return new Map(r.tapes.edges.map((e) => [e.node.barcode, e.node.state]));
  };

  before(async () => {
    stack = await startStack('span-resume');
    await stack.startAgent(agentOptions);
    await stack.gql.request('mutation { createPool(input: { name: "respan", generation: 9 }) { id } }');
    for (const barcode of TAPES) {
      const r = await stack.gql.request<{ formatTape: { id: string } }>('mutation($b: String!) { formatTape(barcode: $b, pool: "respan") { id } }', {
        b: barcode,
      });
      const done = await waitForJob(stack.gql, r.formatTape.id);
      assert.equal(done.status, 'SUCCEEDED', `format ${barcode}: ${done.errorCode}: ${done.errorMessage}`);
    }
    // Random contents (nothing compresses or dedupes), in two directories.
    for (let i = 0; i < FILES; i++) {
      const dir = path.join(source(), i % 2 ? 'odd' : 'even');
      await mkdir(dir, { recursive: true });
      const body = randomBytes(3 * MiB - i);
      const file = path.join(dir, `part-${String(i).padStart(2, '0')}.bin`);
      await writeFile(file, body);
      hashes.set(file, createHash('sha256').update(body).digest('hex'));
    }
  });

  after(async () => {
    await stack?.stop();
  });

  it('is interrupted on its third tape, resumes there when the agent is back, and restores byte for byte', async () => {
    const id = await startBackup(stack.gql, { agent: AGENT, paths: [source()], pool: 'respan' });

    // Poll without pausing until the agent reports writing the third tape (it is named to the job
    // before the agent has loaded it; killing then would leave nothing on it to check), and kill it
    // there. On an idle machine the third tape is written in about two seconds.
    let seen: JobState;
    const started = Date.now();
    for (;;) {
      seen = await jobState(id);
      const active = ['QUEUED', 'ASSIGNED', 'RUNNING'].includes(seen.status);
      if (active && seen.tapes.length === 3 && seen.progress?.currentTape === seen.tapes[2]) {
        stack.killAgent(AGENT, 'SIGKILL');
        break;
      }
      if (!active || seen.tapes.length > 3) break;
      if (Date.now() - started > 240_000) assert.fail(`the backup never reached a third tape: ${JSON.stringify(seen)}`);
    }
    assert.equal(seen.status, 'RUNNING', `the backup still runs when it writes its third tape: ${JSON.stringify(seen)}`);
    assert.equal(seen.tapes.length, 3, `killed while writing the third tape: ${JSON.stringify(seen)}`);
    const firstThree = seen.tapes;
    assert.equal(new Set(firstThree).size, 3, 'three different tapes');

    await stack.waitForAgentOffline(AGENT);
    const interrupted = await waitFor(
      'the job to be INTERRUPTED',
      async () => {
        const j = await jobState(id);
        return j.status === 'RUNNING' || j.status === 'WAITING_FOR_TAPE' ? undefined : j;
      },
      30_000,
    );
    assert.equal(interrupted.status, 'INTERRUPTED', JSON.stringify(interrupted));
    assert.deepEqual(interrupted.tapes, firstThree, 'the interrupted job keeps its tapes');
    let states = await tapeStates();
    assert.equal(states.get(firstThree[0]), 'FULL', firstThree[0]);
    assert.equal(states.get(firstThree[1]), 'FULL', firstThree[1]);
    assert.notEqual(states.get(firstThree[2]), 'FULL', `${firstThree[2]} was being written, not full`);

    // What the first attempt confirmed: the first two tapes' contents (each tape change is a checkpoint).
    const confirmed = await allFiles(stack.gql, { host: AGENT, pathPrefix: source(), type: 'FILE' });
    assert.ok(confirmed.length > 0 && confirmed.length < FILES, `${confirmed.length} files confirmed before the kill`);
    for (const f of confirmed) {
      assert.equal(f.sha256, hashes.get(f.path), f.path);
      assert.ok(
        f.placements.every((p) => firstThree.includes(p.barcode)),
        `${f.path} on ${f.placements.map((p) => p.barcode).join(', ')}`,
      );
    }

    // The agent comes back, same name, library and configuration: the job resumes by itself.
    await stack.startAgent(agentOptions);
    const done = await waitFor(
      'the resumed job to finish',
      async () => {
        const j = await jobState(id);
        return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status) || (j.status === 'INTERRUPTED' && j.attempt > 1) ? j : undefined;
      },
      300_000,
    );
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode}: ${done.errorMessage}`);
    assert.equal(done.attempt, 2, 'resumed once');
    assert.deepEqual(done.tapes.slice(0, 3), firstThree, `Job.tapes keeps the first three in order: ${done.tapes.join(', ')}`);
    assert.equal(new Set(done.tapes).size, done.tapes.length, 'never the same tape twice');

    // Attempt 2 went on on the third tape: its first new objects are there (in its own directory),
    // and none of them on the tapes that were already full.
    const files = await allFiles(stack.gql, { host: AGENT, pathPrefix: source(), type: 'FILE' });
    const secondDir = `ferrite/data/${id}.2/`;
    const byAttempt2 = files.filter((f) => f.placements.some((p) => p.containerPath.startsWith(secondDir)));
    assert.ok(byAttempt2.length > 0, 'attempt 2 wrote what was not confirmed');
    const attempt2Tapes = new Set(byAttempt2.flatMap((f) => f.placements.map((p) => p.barcode)));
    assert.ok(attempt2Tapes.has(firstThree[2]), `attempt 2 wrote on ${firstThree[2]}: it wrote on ${[...attempt2Tapes].join(', ')}`);
    assert.ok(!attempt2Tapes.has(firstThree[0]) && !attempt2Tapes.has(firstThree[1]), `attempt 2 wrote on full tapes: ${[...attempt2Tapes].join(', ')}`);
    const onThird = await readdir(path.join(stack.libraryDirOf(AGENT), 'cartridges', firstThree[2], 'volume', 'ferrite', 'data'));
    assert.ok(onThird.includes(`${id}.2`), `${firstThree[2]} holds attempt 2's directory: ${onThird.join(', ')}`);
    const { job: log } = await stack.gql.request<{ job: { events: Array<{ attempt: number; type: string; message: string }> } }>(
      'query($id: ID!) { job(id: $id) { events(limit: 5000) { attempt type message } } }',
      { id },
    );
    const logText = log.events.map((e) => `${e.attempt} ${e.type} ${e.message}`).join('\n');
    assert.ok(
      log.events.some((e) => e.attempt === 2 && e.type === 'RESUMED'),
      logText,
    );
    // The third tape was mounted when the agent died: attempt 2 checks it before writing to it.
    assert.ok(
      log.events.some((e) => e.attempt === 2 && /not unmounted cleanly/.test(e.message)),
      logText,
    );
    const rewritten = confirmed.filter((c) => byAttempt2.some((f) => f.path === c.path)).length;
    if (rewritten) console.log(`# ${rewritten} of ${confirmed.length} files confirmed before the kill were written again by attempt 2`);

    // Every file exactly once, with its SHA-256, on the job's tapes.
    assert.equal(files.length, FILES, 'every file once');
    assert.equal(new Set(files.map((f: FileNode) => f.path)).size, FILES, 'no file twice');
    for (const f of files) {
      assert.equal(f.sha256, hashes.get(f.path), f.path);
      assert.ok(f.placements.length > 0, `${f.path} has a place on tape`);
      for (const p of f.placements) assert.ok(done.tapes.includes(p.barcode), `${f.path} on ${p.barcode}`);
    }
    // The run counts as if the backup had run once: every file and directory (two and the root), added once.
    const runs = await stack.gql.request<{ runs: { edges: { node: { jobId: string; added: number; modified: number; finishedAt: string | null } }[] } }>(
      'query($h: String) { runs(host: $h) { edges { node { jobId added modified finishedAt } } } }',
      { h: AGENT },
    );
    const run = runs.runs.edges.map((e) => e.node).find((r) => r.jobId === id);
    assert.ok(run?.finishedAt, 'the run is finished');
    assert.deepEqual([run.added, run.modified], [FILES + 3, 0]);

    // Every tape the job left behind it is FULL; the last one is not.
    states = await tapeStates();
    for (const barcode of done.tapes.slice(0, -1)) assert.equal(states.get(barcode), 'FULL', barcode);
    assert.equal(states.get(done.tapes.at(-1)!), 'ACTIVE', done.tapes.at(-1));

    // The whole source restores byte for byte, times to the nanosecond.
    const target = path.join(stack.restoreRoot, 'resumed');
    const restore = await waitForJob(
      stack.gql,
      await startRestore(stack.gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: source() }, targetDirectory: target, stripPrefix: source() }),
      300_000,
    );
    assert.equal(restore.status, 'SUCCEEDED', `${restore.errorCode}: ${restore.errorMessage}`);
    assert.deepEqual(await describeTree(target), await describeTree(source()));
  });
});
