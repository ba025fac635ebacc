// End-to-end tests on the real LTFS (an agent with `backend: 'ltfs-file'`). Where LTFS or FUSE is
// missing they are skipped and say why, unless FERRITE_REQUIRE_LTFS=1 (as in CI): then a missing
// LTFS fails them. The catalog server does not depend on the agent package, so this is a small
// check of its own: the tools run from PATH and /dev/fuse can be opened.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';

/** Each tool with an argument that only prints its version. */
const TOOLS: Record<string, string> = { mkltfs: '-V', ltfs: '-V', ltfsck: '-V', fusermount: '-V', getfattr: '--version', tar: '--version' };

function runs(tool: string, versionArg: string): Promise<string | null> {
  return new Promise((resolve) => {
    // Only a tool that cannot be started (ENOENT, EACCES) counts as missing, whatever it exits with.
    execFile(tool, [versionArg], { timeout: 10_000 }, (err) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      resolve(typeof code === 'string' ? `${tool} cannot be run (${code})` : null);
    });
  });
}

let checked: Promise<string | null> | undefined;

async function check(): Promise<string | null> {
  const problems = (await Promise.all(Object.entries(TOOLS).map(([tool, arg]) => runs(tool, arg)))).filter((p): p is string => p !== null);
  try {
    await access('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch (err) {
    problems.push(`/dev/fuse cannot be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return problems.length === 0 ? null : `real LTFS unavailable: ${problems.join('; ')} (build LTFS and put its bin on PATH)`;
}

/** Why real-LTFS tests cannot run here (null: they can). Throws when CI requires them. */
export async function realLtfsUnavailable(): Promise<string | null> {
  checked ??= check();
  const missing = await checked;
  if (missing && process.env.FERRITE_REQUIRE_LTFS === '1') throw new Error(`FERRITE_REQUIRE_LTFS=1 but ${missing}`);
  return missing;
}
