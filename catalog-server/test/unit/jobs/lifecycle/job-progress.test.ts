import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etaSeconds, percentDone } from '../../../../src/modules/jobs/lifecycle/job-progress.js';
import { resolvePriority } from '../../../../src/modules/jobs/lifecycle/job-priority.js';
import { jobLogLines, toJsonLine } from '../../../../src/modules/jobs/events/job-log-export.js';
import type { JobEventRow } from '../../../../src/modules/jobs/lifecycle/job-log.repository.js';

test('percent done goes by bytes when the total is known, by files otherwise', () => {
  assert.equal(percentDone({ bytesDone: 25, bytesTotal: 100, filesDone: 9, filesTotal: 10 }), 25);
  assert.equal(percentDone({ bytesDone: 0, bytesTotal: 0, filesDone: 3, filesTotal: 4 }), 75);
  assert.equal(percentDone({ bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 }), null);
  assert.equal(percentDone({ bytesDone: 120, bytesTotal: 100, filesDone: 0, filesTotal: 0 }), 100, 'never above 100');
});

test('ETA is what is left at the average rate, and unknown without a rate or a total', () => {
  const p = { bytesDone: 400, bytesTotal: 1000, filesDone: 1, filesTotal: 2 };
  assert.equal(etaSeconds(p, 100), 6);
  assert.equal(etaSeconds(p, null), null);
  assert.equal(etaSeconds(p, 0), null);
  assert.equal(etaSeconds({ ...p, bytesTotal: 0 }, 100), null);
  assert.equal(etaSeconds({ ...p, bytesDone: 2000 }, 100), 0);
});

test('priority: the default when unset, the operator value when in range, a clear error otherwise', () => {
  assert.equal(resolvePriority(undefined, 10), 10);
  assert.equal(resolvePriority(null, 100), 100);
  assert.equal(resolvePriority(0, 10), 0);
  assert.equal(resolvePriority(1000, 10), 1000);
  for (const bad of [-1, 1001, 2.5, Number.NaN]) {
    assert.throws(
      () => resolvePriority(bad, 10),
      (err: { code?: string }) => err.code === 'INVALID_PRIORITY',
      String(bad),
    );
  }
});

const row = (id: number, seq: number, type: string, data: unknown = null): JobEventRow =>
  ({
    id: BigInt(id),
    jobId: 'j',
    attempt: 1,
    seq: BigInt(seq),
    type,
    level: 'info',
    message: `m${id}`,
    data,
    at: new Date(Date.UTC(2026, 11, 2, 0, 0, id)),
  }) as JobEventRow;

test('a log line is one JSON object with the source told by the sign of seq', () => {
  const agent = JSON.parse(toJsonLine(row(1, 3, 'PROGRESS', { x: 1 })));
  assert.deepEqual(agent, {
    at: '2026-12-02T00:00:01.000Z',
    attempt: 1,
    seq: 3,
    source: 'AGENT',
    type: 'PROGRESS',
    level: 'info',
    message: 'm1',
    data: { x: 1 },
  });
  const server = JSON.parse(toJsonLine(row(2, -1, 'ASSIGNED')));
  assert.equal(server.source, 'SERVER');
  assert.equal('data' in server, false);
});

test('the export pages through the whole log in order', async () => {
  const all = Array.from({ length: 12_345 }, (_, i) => row(i + 1, i + 1, 'LOG'));
  const asked: bigint[] = [];
  const source = {
    eventsAfter: async (_job: string, after: bigint, limit: number) => {
      asked.push(after);
      return all.filter((r) => r.id > after).slice(0, limit);
    },
  };
  const lines: string[] = [];
  for await (const line of jobLogLines(source, 'j')) lines.push(line);
  assert.equal(lines.length, all.length);
  assert.ok(lines.every((l) => l.endsWith('\n')));
  assert.deepEqual(
    lines.map((l) => JSON.parse(l).seq),
    all.map((r) => Number(r.seq)),
  );
  assert.deepEqual(asked, [0n, 5000n, 10000n]);
});
