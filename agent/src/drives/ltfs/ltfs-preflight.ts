// Before a backend that runs the real LTFS opens: are the tools there, and can FUSE mount? Said at
// agent start with what to install, rather than as a mount that fails (or hangs) in the first job.
import { access, constants } from 'node:fs/promises';
import type { CommandRunner, ToolName } from './command-runner.js';

const FUSE_DEVICE = '/dev/fuse';

/** What is missing for LTFS to run here, in words an operator can act on; null when nothing is. */
export async function ltfsMissing(runner: CommandRunner, tools: ToolName[], fuseDevice = FUSE_DEVICE): Promise<string | null> {
  const problems: string[] = [];
  for (const tool of tools) {
    const result = await runner.run(tool, ['-V'], { timeoutMs: 10_000 });
    if (result.exitCode === null && !result.timedOut) problems.push(`${tool} cannot be run (${firstLine(result.stderr) || 'not found on PATH'})`);
  }
  try {
    await access(fuseDevice, constants.R_OK | constants.W_OK);
  } catch (err) {
    problems.push(
      `FUSE is not available (${fuseDevice}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; install fuse and run as root or in the fuse group)`,
    );
  }
  if (problems.length === 0) return null;
  return `LTFS cannot run on this machine: ${problems.join('; ')}. Install LTFS 2.4 (mkltfs, ltfs, ltfsck; e.g. with the LTFS reference implementation's build) and FUSE, or set each tool's path in the library's "bin"`;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
