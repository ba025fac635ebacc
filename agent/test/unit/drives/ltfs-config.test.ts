// The agent configuration's ltfs library entry: validated by zod, relative paths resolved against
// the config file, defaults filled in, and turned into drives by openDriveSet beside emulated ones.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AgentConfigError, loadAgentConfig } from '../../../src/config/agent-config.js';
import { openDriveSet } from '../../../src/drives/drive-set.js';
import { createLogger } from '../../../src/logger.js';

describe('ltfs library configuration', () => {
  let dir: string;
  const base = { name: 'tape-02', server: 'localhost:50051', allowedBackupRoots: ['/srv/data'], allowedRestoreRoots: ['/srv/restores'] };
  const ltfsEntry = {
    backend: 'ltfs',
    name: 'msl',
    changer: { device: '/dev/sg3' },
    drives: [{ device: '/dev/nst0' }, { device: '/dev/nst1', name: 'right', changerDriveIndex: 1, generation: 8 }],
    generation: 9,
    mountRoot: 'mnt',
    workDirectory: '/var/lib/ferrite-agent/ltfs',
    bin: { ltfs: './bin/ltfs', mtx: 'mtx' },
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ferrite-ltfs-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const load = async (config: object) => {
    const file = path.join(dir, 'agent.json');
    await writeFile(file, JSON.stringify(config));
    return loadAgentConfig({}, ['--config', file]);
  };

  it('validates the entry, fills defaults and resolves relative paths against the file', async () => {
    const config = await load({ ...base, libraries: [ltfsEntry] });
    const lib = config.libraries[0];
    assert.equal(lib.backend, 'ltfs');
    if (lib.backend !== 'ltfs') return;
    assert.equal(lib.mountRoot, path.join(dir, 'mnt'));
    assert.equal(lib.workDirectory, '/var/lib/ferrite-agent/ltfs');
    assert.equal(lib.bin.ltfs, path.join(dir, 'bin/ltfs'));
    assert.equal(lib.bin.mtx, 'mtx', 'a bare name stays a PATH lookup');
    assert.equal(lib.syncType, 'unmount');
    assert.equal(lib.unmountCommand, 'umount');
    assert.equal(lib.timeouts.unmountMs, 30 * 60_000);
  });

  it('rejects a bad sync_type and a drive without a device, naming the field', async () => {
    await assert.rejects(
      load({ ...base, libraries: [{ ...ltfsEntry, syncType: 'sometimes' }] }),
      (e: Error) => e instanceof AgentConfigError && /libraries\.0\.syncType/.test(e.message),
    );
    await assert.rejects(
      load({ ...base, libraries: [{ ...ltfsEntry, drives: [{}] }] }),
      (e: Error) => e instanceof AgentConfigError && /libraries\.0\.drives\.0\.device/.test(e.message),
    );
  });

  it('openDriveSet builds ltfs drives beside an emulated library', async () => {
    const config = await load({
      ...base,
      libraries: [ltfsEntry, { backend: 'emulated', name: 'emu', dir: 'emu', slots: 2, drives: 1, generation: 9 }],
    });
    const set = await openDriveSet(config, createLogger('silent'));
    assert.deepEqual(
      set
        .all()
        .map((e) => [
          e.drive.identity.name,
          e.drive.identity.backend,
          e.drive.identity.libraryName,
          e.drive.identity.libraryDriveIndex,
          e.drive.identity.generation,
        ]),
      [
        ['msl-drive0', 'ltfs', 'msl', 0, 9],
        ['right', 'ltfs', 'msl', 1, 8],
        ['drive0', 'emulated', 'emu', 0, 9],
      ],
    );
    assert.deepEqual(
      set.libraries.map((l) => l.name),
      ['msl', 'emu'],
    );
  });
});
