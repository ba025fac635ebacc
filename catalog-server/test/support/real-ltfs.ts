// End-to-end tests on the real LTFS need mkltfs, ltfs, ltfsck and getfattr on PATH and a usable
// /dev/fuse. Where they are missing the tests are skipped, saying why, unless
// FERRITE_REQUIRE_LTFS=1 (CI, which builds LTFS): then a missing LTFS fails them.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export function realLtfsUnavailable(): string | null {
  const missing: string[] = [];
  for (const tool of ['mkltfs', 'ltfs', 'ltfsck', 'getfattr']) {
    if (spawnSync(tool, ['-V'], { stdio: 'ignore' }).error) missing.push(`${tool} is not on PATH`);
  }
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    missing.push('/dev/fuse is not usable');
  }
  const reason = missing.length ? `real LTFS unavailable: ${missing.join(', ')}` : null;
  if (reason && process.env.FERRITE_REQUIRE_LTFS === '1') throw new Error(`FERRITE_REQUIRE_LTFS=1 but ${reason}`);
  return reason;
}
