import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FileType } from '@ferrite/proto';
import type { RestoreSelection } from '../../../src/modules/files/files.contract.js';
import {
  createAgent,
  createBackupJob,
  createFilesFixture,
  createTape,
  dirRecord,
  fileRecord,
  location,
  symlinkRecord,
  type FilesFixture,
  errorCodeOf as code,
} from './files-fixture.js';

describe('FilesService.resolveRestore', () => {
  let f: FilesFixture;
  let runId: string;
  let agentId: string;

  before(async () => {
    f = await createFilesFixture('files-restore');
    agentId = await createAgent(f, 'srv');
    await createTape(f, 'RST001L9');
    await createTape(f, 'RST002L9');
    const job = await createBackupJob(f, agentId, 'srv', ['/data']);
    runId = job.runIds[0];
    // Reported out of tape order on purpose; "/data/ab" must never match the prefix "/data/a".
    const records = [
      dirRecord('/data'),
      dirRecord('/data/a'),
      dirRecord('/data/a/sub'),
      fileRecord('/data/a/late', 'RST001L9', 900),
      fileRecord('/data/a/early', 'RST001L9', 10),
      fileRecord('/data/a/sub/middle', 'RST001L9', 400),
      fileRecord('/data/a/bundled-2', 'RST001L9', 50, {
        locations: [location('RST001L9', 50, { containerPath: '/ferrite/data/j/bundles/000001.tar', offset: 8192, length: 20 })],
        size: 20,
      }),
      fileRecord('/data/a/bundled-1', 'RST001L9', 50, {
        locations: [location('RST001L9', 50, { containerPath: '/ferrite/data/j/bundles/000001.tar', offset: 512, length: 20 })],
        size: 20,
      }),
      fileRecord('/data/a/empty', 'RST001L9', 0, { size: 0, sha256: Buffer.alloc(0), locations: [] }),
      symlinkRecord('/data/a/link', 'early'),
      fileRecord('/data/a/span', 'RST001L9', 1000, {
        size: 300,
        locations: [location('RST001L9', 1000, { length: 200 }), location('RST002L9', 0, { length: 100, segment: 1, fileOffset: 200 })],
      }),
      fileRecord('/data/ab/not-me', 'RST001L9', 5),
    ];
    await f.files.ingestBatch({ jobId: job.jobId, attempt: 1, batchSeq: 1, agentId, records, manifestPath: '' });
  });
  after(() => f.close());

  it('plans a prefix restore per tape in start-block order, matching whole components', async () => {
    const plan = await f.restorePlan({ host: 'srv', pathPrefix: '/data/a' });
    assert.equal(plan.host, 'srv');
    assert.deepEqual(
      plan.tapes.map((t) => t.barcode),
      ['RST001L9', 'RST002L9'],
    );
    assert.deepEqual(
      plan.tapes[0].items.map((i) => [i.path, i.location?.startBlock, i.location?.offset]),
      [
        ['/data/a/early', 10, 0],
        ['/data/a/bundled-1', 50, 512],
        ['/data/a/bundled-2', 50, 8192],
        ['/data/a/sub/middle', 400, 0],
        ['/data/a/late', 900, 0],
        ['/data/a/span', 1000, 0],
      ],
    );
    assert.deepEqual(
      plan.tapes[1].items.map((i) => [i.path, i.location?.segment, i.location?.fileOffset, i.location?.length]),
      [['/data/a/span', 1, 200, 100]],
    );
    assert.deepEqual(
      plan.metadataItems.map((i) => [i.path, i.type]),
      [
        ['/data/a', FileType.FILE_TYPE_DIRECTORY],
        ['/data/a/sub', FileType.FILE_TYPE_DIRECTORY],
        ['/data/a/empty', FileType.FILE_TYPE_FILE],
        ['/data/a/link', FileType.FILE_TYPE_SYMLINK],
      ],
    );
    assert.equal(plan.metadataItems[3].symlinkTarget, 'early');
    assert.equal(plan.fileCount, 7);
    const early = plan.tapes[0].items[0];
    assert.equal(early.sha256.length, 32);
    assert.equal(early.mode, 0o100644);
    assert.equal(early.mtimeMs, 1_700_000_000_010);
    assert.equal(
      plan.byteCount,
      [...plan.tapes[0].items, ...plan.metadataItems].reduce((n, i) => n + (i.type === FileType.FILE_TYPE_FILE ? i.size : 0), 0),
    );
  });

  it('restores a single file when the prefix names it', async () => {
    const plan = await f.restorePlan({ host: 'srv', pathPrefix: '/data/a/late' });
    assert.deepEqual(
      plan.tapes.flatMap((t) => t.items.map((i) => i.path)),
      ['/data/a/late'],
    );
    assert.deepEqual(plan.metadataItems, []);
  });

  it('takes the newest version of each entry under the prefix', async () => {
    const job = await createBackupJob(f, agentId, 'srv', ['/data/a/sub']);
    await f.files.ingestBatch({
      jobId: job.jobId,
      attempt: 1,
      batchSeq: 1,
      agentId,
      records: [fileRecord('/data/a/sub/middle', 'RST002L9', 77, { mtimeMs: 1_800_000_000_000 })],
      manifestPath: '',
    });
    const plan = await f.restorePlan({ host: 'srv', pathPrefix: '/data/a/sub' });
    const middle = plan.tapes.flatMap((t) => t.items).filter((i) => i.path === '/data/a/sub/middle');
    assert.equal(middle.length, 1);
    assert.equal(middle[0].mtimeMs, 1_800_000_000_000);
    assert.equal(middle[0].location?.barcode, 'RST002L9');
  });

  it('restores everything a run archived, and chosen file ids', async () => {
    const byRun = await f.restorePlan({ runId });
    const paths = [...byRun.tapes.flatMap((t) => t.items.map((i) => i.path)), ...byRun.metadataItems.map((i) => i.path)];
    assert.ok(paths.includes('/data/ab/not-me'));
    assert.ok(paths.includes('/data'));
    assert.equal(new Set(paths).size, 13 - 1); // the spanning file appears on both tapes
    const page = await f.search.files({ host: 'srv', nameGlob: 'bundled-*' }, 10, undefined);
    const byIds = await f.restorePlan({ fileIds: page.edges.map((e) => e.node.id) });
    assert.deepEqual(
      byIds.tapes[0].items.map((i) => i.path),
      ['/data/a/bundled-1', '/data/a/bundled-2'],
    );
  });

  it('refuses bad selections with stable codes', async () => {
    const cases: Array<[RestoreSelection, string]> = [
      [{}, 'INVALID_SELECTION'],
      [{ runId, host: 'srv', pathPrefix: '/data' }, 'INVALID_SELECTION'],
      [{ fileIds: ['1'], runId }, 'INVALID_SELECTION'],
      [{ host: 'srv' }, 'INVALID_SELECTION'],
      [{ pathPrefix: '/data' }, 'INVALID_SELECTION'],
      [{ fileIds: [] }, 'INVALID_SELECTION'],
      [{ host: 'srv', pathPrefix: 'data' }, 'INVALID_SELECTION'],
      [{ runId: '00000000-0000-4000-8000-000000000000' }, 'RUN_NOT_FOUND'],
      [{ runId: 'nope' }, 'RUN_NOT_FOUND'],
      [{ fileIds: ['999999999'] }, 'FILE_NOT_FOUND'],
      [{ fileIds: ['abc'] }, 'FILE_NOT_FOUND'],
      [{ host: 'srv', pathPrefix: '/data/a/nothing-here' }, 'NOTHING_TO_RESTORE'],
      [{ host: 'srv', pathPrefix: '/data/a/ear' }, 'NOTHING_TO_RESTORE'],
      [{ host: 'nobody', pathPrefix: '/' }, 'NOTHING_TO_RESTORE'],
    ];
    for (const [selection, expected] of cases) assert.equal(await code(f.restorePlan(selection)), expected, JSON.stringify(selection));
  });

  it('counts a tape for a verify, then lists its whole objects page by page in tape order', async () => {
    const plan = await f.files.resolveVerify({ barcode: 'RST001L9' });
    // The spanning file's first segment has no hash of its own: counted apart, not read.
    assert.deepEqual(
      { ...plan, tapes: plan.tapes.map((t) => [t.barcode, t.items.length]) },
      { tapes: [['RST001L9', 0]], objectCount: 6, byteCount: plan.byteCount, partialSegments: 1, streamed: true },
    );
    const pages: Array<Array<[number, number]>> = [];
    for await (const page of f.files.verifyItems('RST001L9', undefined, 2)) pages.push(page.map((i) => [i.location!.startBlock, i.location!.offset]));
    assert.deepEqual(pages, [
      [
        [5, 0],
        [10, 0],
      ],
      [
        [50, 512],
        [50, 8192],
      ],
      [
        [400, 0],
        [900, 0],
      ],
    ]);
    assert.equal(
      plan.byteCount,
      (await collect(f.files.verifyItems('RST001L9', undefined, 1000))).reduce((n, i) => n + i.location!.length, 0),
    );
    await createTape(f, 'RST003L9');
    assert.equal(await code(f.files.resolveVerify({ barcode: 'RST003L9' })), 'NOTHING_TO_VERIFY');
    assert.equal(await code(collect(f.files.verifyItems('NOPE01L9'))), 'TAPE_NOT_FOUND');
  });
});

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}
