// The ltfs-file library entry (an emulated changer of real LTFS file-backend cartridges): validated
// at startup, its paths resolved against the config file, and refused at open with what to install
// when LTFS or FUSE is missing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AgentConfigError, loadAgentConfig, type LtfsFileLibrarySettings } from '../../../src/config/agent-config.js';
import { ExecFileRunner } from '../../../src/drives/ltfs/command-runner.js';
import { ltfsMissing } from '../../../src/drives/ltfs/ltfs-preflight.js';
import { openLtfsFileLibrary } from '../../../src/drives/ltfs-file/open-ltfs-file-library.js';
import { prepareTapeDirectory } from '../../../src/drives/ltfs-file/file-cartridge.js';
import { createLogger } from '../../../src/logger.js';
import { FAKE_BIN } from './ltfs-fixture.js';

describe('ltfs-file library configuration', () => {
  let dir: string;
  const base = { name: 'tape-03', server: 'localhost:50051', allowedBackupRoots: ['/srv/data'], allowedRestoreRoots: ['/srv/restores'] };
  const entry = { backend: 'ltfs-file', name: 'lf', dir: 'lib', slots: 4, drives: 1, generation: 9, bin: { ltfs: './bin/ltfs' } };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ferrite-ltfs-file-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const load = async (config: object) => {
    const file = path.join(dir, 'agent.json');
    await writeFile(file, JSON.stringify(config));
    return loadAgentConfig({}, ['--config', file]);
  };

  it('fills defaults and resolves the library directory and tool paths against the file', async () => {
    const lib = (await load({ ...base, libraries: [entry] })).libraries[0] as LtfsFileLibrarySettings;
    assert.equal(lib.backend, 'ltfs-file');
    assert.equal(lib.dir, path.join(dir, 'lib'));
    assert.equal(lib.bin.ltfs, path.join(dir, 'bin/ltfs'));
    assert.equal(lib.unmountCommand, 'fusermount');
  });

  it('refuses a cartridge too small for LTFS to mount writable, naming the field', async () => {
    await assert.rejects(
      load({ ...base, libraries: [{ ...entry, capacityBytes: 64 * 1024 * 1024 }] }),
      (err: Error) => err instanceof AgentConfigError && /libraries\.0\.capacityBytes/.test(err.message) && /256 MiB/.test(err.message),
    );
  });

  it('says which LTFS tools are missing, and that FUSE is, instead of failing in the first job', async () => {
    const runner = new ExecFileRunner({ mkltfs: path.join(dir, 'no-such-mkltfs'), ltfs: path.join(FAKE_BIN, 'ltfs') });
    const missing = await ltfsMissing(runner, ['mkltfs', 'ltfs'], path.join(dir, 'no-fuse'));
    assert.ok(missing);
    assert.match(missing, /mkltfs cannot be run/);
    assert.doesNotMatch(missing, /\bltfs cannot be run/, 'the ltfs that exists is not reported');
    assert.match(missing, /FUSE is not available .*no-fuse: ENOENT/);
    const lib = (await load({ ...base, libraries: [{ ...entry, bin: { mkltfs: path.join(dir, 'no-such-mkltfs') } }] })).libraries[0] as LtfsFileLibrarySettings;
    await assert.rejects(openLtfsFileLibrary(lib, dir, createLogger('silent')), /library lf: LTFS cannot run on this machine: mkltfs cannot be run/);
  });

  it('writes the cartridge size once, before the first format, and never changes it', async () => {
    const cartridge = path.join(dir, 'cartridges', 'FER001L9');
    const tape = await prepareTapeDirectory(cartridge, 300 * 1024 * 1024);
    await prepareTapeDirectory(cartridge, 999 * 1024 * 1024);
    const { readFile } = await import('node:fs/promises');
    assert.match(await readFile(path.join(tape, 'filedebug_tc_conf.xml'), 'utf8'), /<capacity_mb>300<\/capacity_mb>/);
  });
});

describe('deploy/agent.ltfs-file.example.json', () => {
  it('is a valid agent configuration', async () => {
    const file = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../../deploy/agent.ltfs-file.example.json');
    const config = await loadAgentConfig({}, ['--config', file]);
    assert.equal(config.libraries[0]?.backend, 'ltfs-file');
  });
});
