// Tests on the real LTFS (mkltfs, ltfs, ltfsck built by the LTFS reference implementation's
// build script; CI builds it and puts it on PATH). Where it is missing the tests are skipped and
// say why, unless FERRITE_REQUIRE_LTFS=1 (as in CI), where a missing LTFS fails them.
import { ExecFileRunner } from '../../src/drives/ltfs/command-runner.js';
import { ltfsMissing } from '../../src/drives/ltfs/ltfs-preflight.js';

let checked: Promise<string | null> | undefined;

/** Why real-LTFS tests cannot run here (null: they can). Throws when CI requires them. */
export async function realLtfsUnavailable(): Promise<string | null> {
  checked ??= ltfsMissing(new ExecFileRunner(), ['mkltfs', 'ltfs', 'ltfsck', 'getfattr']);
  const missing = await checked;
  if (missing && process.env.FERRITE_REQUIRE_LTFS === '1') throw new Error(`FERRITE_REQUIRE_LTFS=1 but ${missing}`);
  return missing;
}
