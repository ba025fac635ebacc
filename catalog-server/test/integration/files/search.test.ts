import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FileRecord } from '@ferrite/proto';
import type { FileFilterLike } from '../../../src/modules/files/file-query.js';
import {
  allPaths,
  createAgent,
  createBackupJob,
  createFilesFixture,
  createTape,
  dirRecord,
  fileRecord,
  sha256,
  symlinkRecord,
  type FilesFixture,
  errorCodeOf as code,
} from './files-fixture.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

// Host "cam": camera-style names plus names full of LIKE/regex/glob metacharacters.
const CAM_FILES: Array<[string, number]> = [
  ['/data/a/IMG_0001.JPG', T0],
  ['/data/a/IMG_0002.jpg', T0 + DAY],
  ['/data/a/IMGX0003.JPG', T0 + 2 * DAY],
  ['/data/a/holiday 2024.mov', T0 + 3 * DAY],
  ['/data/a/Trip.MOV', T0 + 4 * DAY],
  ['/data/ab/clip.mov', T0 + 5 * DAY],
  ['/data/ab/x', T0 + 6 * DAY],
  ['/data/a/sub/deep.mov', T0 + 7 * DAY],
  ['/data/lit/100%.txt', T0],
  ['/data/lit/100x.txt', T0],
  ['/data/lit/a_b', T0],
  ['/data/lit/axb', T0],
  ['/data/lit/[x].txt', T0],
  ['/data/lit/x.txt', T0],
  ['/data/lit/back\\slash', T0],
  ['/data/lit/backXslash', T0],
  ['/data/lit/a.b', T0],
  ['/data/lit/new\nline', T0],
];

function byName(paths: string[]): string[] {
  return [...paths].sort();
}

describe('FileSearchService.files', () => {
  let f: FilesFixture;
  let camRun: string;
  let bigSha: Buffer;

  before(async () => {
    f = await createFilesFixture('files-search');
    const cam = await createAgent(f, 'cam');
    const nas = await createAgent(f, 'nas');
    await createTape(f, 'CAM001L9');
    await createTape(f, 'CAM002L9');
    await createTape(f, 'NAS001L9');
    const camJob = await createBackupJob(f, cam, 'cam', ['/data']);
    camRun = camJob.runIds[0];
    const records: FileRecord[] = [dirRecord('/data'), dirRecord('/data/a'), symlinkRecord('/data/a/link.mov', 'Trip.MOV')];
    CAM_FILES.forEach(([path, mtime], i) => records.push(fileRecord(path, i < 4 ? 'CAM002L9' : 'CAM001L9', i * 10, { mtimeMs: mtime, size: 1000 * (i + 1) })));
    await f.files.ingestBatch({ jobId: camJob.jobId, attempt: 1, batchSeq: 1, agentId: cam, records, manifestPath: '' });

    const nasJob = await createBackupJob(f, nas, 'nas', ['/data']);
    const big = fileRecord('/data/a/IMG_9999.JPG', 'NAS001L9', 0, { size: 5_000_000_000 });
    bigSha = big.sha256;
    await f.files.ingestBatch({
      jobId: nasJob.jobId,
      attempt: 1,
      batchSeq: 1,
      agentId: nas,
      records: [big, fileRecord('/data/other.txt', 'NAS001L9', 5)],
      manifestPath: '',
    });
  });
  after(() => f.close());

  const search = (filter: FileFilterLike) => allPaths(f, filter).then(byName);

  it('matches name globs exactly', async () => {
    assert.deepEqual(await search({ host: 'cam', nameGlob: '*.mov' }), [
      '/data/a/holiday 2024.mov',
      '/data/a/link.mov',
      '/data/a/sub/deep.mov',
      '/data/ab/clip.mov',
    ]);
    assert.deepEqual(await search({ host: 'cam', nameGlob: '*.mov', caseInsensitive: true, type: 'FILE' }), [
      '/data/a/Trip.MOV',
      '/data/a/holiday 2024.mov',
      '/data/a/sub/deep.mov',
      '/data/ab/clip.mov',
    ]);
    // "_" in IMG_ is literal: IMGX0003.JPG does not match.
    assert.deepEqual(await search({ host: 'cam', nameGlob: 'IMG_*' }), ['/data/a/IMG_0001.JPG', '/data/a/IMG_0002.jpg']);
    assert.deepEqual(await search({ nameGlob: '*2024*' }), ['/data/a/holiday 2024.mov']);
    assert.deepEqual(await search({ host: 'cam', nameGlob: '?' }), ['/data/a', '/data/ab/x']);
    assert.deepEqual(await search({ host: 'cam', nameGlob: '?', type: 'FILE' }), ['/data/ab/x']);
    assert.deepEqual(await search({ host: 'cam', nameGlob: 'IMG[_X]000[13].JPG' }), ['/data/a/IMGX0003.JPG', '/data/a/IMG_0001.JPG'].sort());
    assert.deepEqual(await search({ host: 'cam', nameGlob: '[!Ih]*.mov', caseInsensitive: true }), [
      '/data/a/Trip.MOV',
      '/data/a/link.mov',
      '/data/a/sub/deep.mov',
      '/data/ab/clip.mov',
    ]);
    assert.deepEqual(await search({ host: 'cam', nameGlob: 'img_000?.jpg', caseInsensitive: true }), ['/data/a/IMG_0001.JPG', '/data/a/IMG_0002.jpg']);
  });

  it('treats %, _, [, backslash and regex characters in names literally', async () => {
    assert.deepEqual(await search({ nameGlob: '100%*' }), ['/data/lit/100%.txt']);
    assert.deepEqual(await search({ nameGlob: 'a_b' }), ['/data/lit/a_b']);
    assert.deepEqual(await search({ nameGlob: '\\[x].txt' }), ['/data/lit/[x].txt']);
    assert.deepEqual(await search({ nameGlob: '[[]x].txt' }), ['/data/lit/[x].txt']);
    assert.deepEqual(await search({ nameGlob: 'back\\\\slash' }), ['/data/lit/back\\slash']);
    assert.deepEqual(await search({ nameGlob: 'back[\\\\]slash' }), ['/data/lit/back\\slash']);
    assert.deepEqual(await search({ nameGlob: '[a]?b' }), ['/data/lit/a.b', '/data/lit/a_b', '/data/lit/axb']);
    assert.deepEqual(await search({ nameGlob: '[a].b' }), ['/data/lit/a.b']);
    assert.deepEqual(await search({ nameGlob: 'new?line' }), ['/data/lit/new\nline']);
    assert.deepEqual(await search({ nameGlob: '[n]ew*' }), ['/data/lit/new\nline']);
  });

  it('matches globs the same when a glob matches too many names to ask the block index', async () => {
    const globs = ['100%*', 'a_b', '\\[x].txt', '[[]x].txt', 'back\\\\slash', 'back[\\\\]slash', '[a]?b', '[a].b', 'new?line', 'IMG[_X]000[13].JPG'];
    const withIndex = await Promise.all(globs.map((nameGlob) => allPaths(f, { nameGlob })));
    const ci = await allPaths(f, { nameGlob: 'img_000?.jpg', caseInsensitive: true });
    assert.ok(withIndex.every((paths) => paths.length > 0));
    const maxKeys = f.searchRepo.maxBlockKeys;
    try {
      f.searchRepo.maxBlockKeys = 0;
      for (let i = 0; i < globs.length; i++) assert.deepEqual(await allPaths(f, { nameGlob: globs[i] }), withIndex[i], globs[i]);
      assert.deepEqual(await allPaths(f, { nameGlob: 'img_000?.jpg', caseInsensitive: true }), ci);
    } finally {
      f.searchRepo.maxBlockKeys = maxKeys;
    }
  });

  it('matches path prefixes by whole components, the prefix itself included', async () => {
    assert.deepEqual(
      await search({ host: 'cam', pathPrefix: '/data/a' }),
      [
        '/data/a',
        '/data/a/IMG_0001.JPG',
        '/data/a/IMG_0002.jpg',
        '/data/a/IMGX0003.JPG',
        '/data/a/Trip.MOV',
        '/data/a/holiday 2024.mov',
        '/data/a/link.mov',
        '/data/a/sub/deep.mov',
      ].sort(),
    );
    assert.deepEqual(await search({ host: 'cam', pathPrefix: '/data/ab/' }), ['/data/ab/clip.mov', '/data/ab/x']);
    assert.deepEqual(await search({ pathPrefix: '/data/a/IMG_0001.JPG' }), ['/data/a/IMG_0001.JPG']);
    assert.deepEqual(await search({ pathPrefix: '/data/a/sub', nameGlob: '*.mov' }), ['/data/a/sub/deep.mov']);
    // Without a host the prefix spans hosts.
    assert.deepEqual(await search({ pathPrefix: '/data/a', nameGlob: 'IMG_9*' }), ['/data/a/IMG_9999.JPG']);
    assert.equal((await search({ pathPrefix: '/' })).length, CAM_FILES.length + 3 + 2);
    assert.deepEqual(await search({ pathPrefix: '/data/lit/100%' }), []);
  });

  it('filters by host, mtime range, size range, sha256, tape and run', async () => {
    assert.deepEqual(await search({ host: 'nas' }), ['/data/a/IMG_9999.JPG', '/data/other.txt']);
    assert.deepEqual(
      await search({ host: 'cam', type: 'FILE', modifiedAfter: new Date(T0 + DAY), modifiedBefore: new Date(T0 + 4 * DAY) }),
      ['/data/a/IMG_0002.jpg', '/data/a/IMGX0003.JPG', '/data/a/holiday 2024.mov'].sort(),
    );
    assert.deepEqual(await search({ sizeMin: 4_000_000_000 }), ['/data/a/IMG_9999.JPG']);
    assert.deepEqual(await search({ host: 'cam', type: 'FILE', sizeMin: 2000, sizeMax: 3000 }), ['/data/a/IMG_0002.jpg', '/data/a/IMGX0003.JPG'].sort());
    assert.deepEqual(await search({ sha256: bigSha.toString('hex').toUpperCase() }), ['/data/a/IMG_9999.JPG']);
    assert.deepEqual(
      await search({ tape: 'CAM002L9' }),
      CAM_FILES.slice(0, 4)
        .map(([p]) => p)
        .sort(),
    );
    assert.equal((await search({ runId: camRun })).length, CAM_FILES.length + 3);
    const archived = await search({ archivedAfter: new Date(Date.now() - 3_600_000), archivedBefore: new Date(Date.now() + 3_600_000) });
    assert.equal(archived.length, CAM_FILES.length + 5);
    assert.deepEqual(await search({ archivedBefore: new Date(Date.now() - 3_600_000) }), []);
  });

  it('finds the same pages when the archive-order window is smaller than the catalog', async () => {
    // Every filter once with the windows covering the whole catalog, then with windows of one and
    // two rows (the rest of the page comes from the planner's plan after them), in pages of one
    // and of three.
    const filters: FileFilterLike[] = [
      {},
      { nameGlob: '*.mov', caseInsensitive: true },
      { host: 'cam', pathPrefix: '/data/a' },
      { tape: 'CAM002L9' },
      { host: 'cam', type: 'FILE', modifiedAfter: new Date(T0 + DAY), modifiedBefore: new Date(T0 + 4 * DAY) },
      { modifiedAfter: new Date(T0 + DAY + 1), modifiedBefore: new Date(T0 + 4 * DAY - 1) },
      { sizeMin: 2000, sizeMax: 3000 },
      { sha256: bigSha.toString('hex') },
      { runId: camRun },
    ];
    const expected = await Promise.all(filters.map((q) => allPaths(f, q)));
    assert.ok(expected.filter((paths) => paths.length > 2).length >= 5, 'most filters must match more rows than the window holds');
    const windows = f.searchRepo.scanWindows;
    const maxKeys = f.searchRepo.maxBlockKeys;
    const chunk = f.searchRepo.firstBlockChunk;
    try {
      f.searchRepo.scanWindows = [1, 2];
      for (const first of [1, 3]) {
        for (let i = 0; i < filters.length; i++) assert.deepEqual(await allPaths(f, filters[i], first), expected[i], JSON.stringify(filters[i]));
      }
      // As if every glob matched, and every tape held, more names and contents than the block
      // indexes are asked for: names are tested version by version, tapes found through their
      // content buckets (every content id of this catalog falls in bucket 0: the per-version test
      // must drop the versions of other tapes), read one candidate block first, then four, ...
      f.searchRepo.maxBlockKeys = 0;
      f.searchRepo.firstBlockChunk = 1;
      for (let i = 0; i < filters.length; i++) assert.deepEqual(await allPaths(f, filters[i], 3), expected[i], `many keys: ${JSON.stringify(filters[i])}`);
    } finally {
      f.searchRepo.scanWindows = windows;
      f.searchRepo.maxBlockKeys = maxKeys;
      f.searchRepo.firstBlockChunk = chunk;
    }
  });

  it('returns the whole node: host, path parts, sizes, hashes and placements', async () => {
    const page = await f.search.files({ nameGlob: 'IMG_9999.JPG' }, 10, undefined);
    const node = page.edges[0].node;
    assert.equal(node.host, 'nas');
    assert.equal(node.path, '/data/a/IMG_9999.JPG');
    assert.equal(node.directory, '/data/a');
    assert.equal(node.name, 'IMG_9999.JPG');
    assert.equal(node.type, 'FILE');
    assert.equal(node.size, 5_000_000_000);
    assert.equal(node.sha256, bigSha.toString('hex'));
    assert.equal(node.placements.length, 1);
    assert.equal(node.placements[0].barcode, 'NAS001L9');
    assert.equal(node.placements[0].length, 5_000_000_000);
    const link = (await f.search.files({ nameGlob: 'link.mov' }, 10, undefined)).edges[0].node;
    assert.equal(link.symlinkTarget, 'Trip.MOV');
    assert.equal(link.sha256, null);
    assert.deepEqual(link.placements, []);
    assert.equal(await f.search.count(page.query), 1);
  });

  it('pages with stable cursors: every row exactly once, new rows after the cursor only', async () => {
    const all = await allPaths(f, { host: 'cam' }, 1000);
    const paged: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await f.search.files({ host: 'cam' }, 4, after);
      paged.push(...page.edges.map((e) => e.node.path));
      pages++;
      if (pages === 2) {
        // Rows archived mid-listing land after the cursor (archive order): still seen once.
        const cam = (await f.prisma.client.agent.findUniqueOrThrow({ where: { name: 'cam' } })).id;
        const job = await createBackupJob(f, cam, 'cam', ['/late']);
        await f.files.ingestBatch({
          jobId: job.jobId,
          attempt: 1,
          batchSeq: 1,
          agentId: cam,
          records: [fileRecord('/late/file', 'CAM001L9', 999)],
          manifestPath: '',
        });
      }
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    assert.deepEqual(paged, [...all, '/late/file']);
    assert.equal(new Set(paged).size, paged.length);
    assert.ok(pages >= 6);
  });

  it('refuses cursors of other filters and bad arguments with stable codes', async () => {
    const page = await f.search.files({ host: 'cam' }, 2, undefined);
    assert.equal(await code(f.search.files({ host: 'nas' }, 2, page.pageInfo.endCursor)), 'INVALID_CURSOR');
    assert.equal(await code(f.search.files({ host: 'cam' }, 2, 'garbage')), 'INVALID_CURSOR');
    assert.equal(await code(f.search.files({}, 0, undefined)), 'INVALID_ARGUMENT');
    assert.equal(await code(f.search.files({}, 1001, undefined)), 'INVALID_ARGUMENT');
    assert.equal(await code(f.search.files({ nameGlob: '[abc' }, 10, undefined)), 'INVALID_GLOB');
    assert.equal(await code(f.search.files({ sizeMin: 5, sizeMax: 1 }, 10, undefined)), 'INVALID_RANGE');
    assert.equal(await code(f.search.files({ host: 'nobody' }, 10, undefined)), 'HOST_NOT_FOUND');
    assert.equal(await code(f.search.files({ tape: 'NOPE' }, 10, undefined)), 'TAPE_NOT_FOUND');
    assert.equal(await code(f.search.files({ runId: 'x' }, 10, undefined)), 'RUN_NOT_FOUND');
    assert.equal(await code(f.search.files({ runId: '00000000-0000-4000-8000-000000000000' }, 10, undefined)), 'RUN_NOT_FOUND');
  });

  it('lists every version of one path, newest first', async () => {
    const cam = (await f.prisma.client.agent.findUniqueOrThrow({ where: { name: 'cam' } })).id;
    const again = await createBackupJob(f, cam, 'cam', ['/data/a']);
    const changed = fileRecord('/data/a/Trip.MOV', 'CAM001L9', 4000, { sha256: sha256('new bytes') });
    await f.files.ingestBatch({ jobId: again.jobId, attempt: 1, batchSeq: 1, agentId: cam, records: [changed], manifestPath: '' });
    const versions = await f.search.fileVersions('cam', '/data/a/Trip.MOV');
    assert.equal(versions.length, 2);
    assert.equal(versions[0].runId, again.runIds[0]);
    assert.equal(versions[0].sha256, sha256('new bytes').toString('hex'));
    assert.equal(versions[1].runId, camRun);
    assert.deepEqual(await f.search.fileVersions('cam', '/data/a/none'), []);
    assert.equal(await code(f.search.fileVersions('nobody', '/x')), 'HOST_NOT_FOUND');
    assert.equal(await code(f.search.fileVersions('cam', 'relative')), 'INVALID_PATH');
  });
});
