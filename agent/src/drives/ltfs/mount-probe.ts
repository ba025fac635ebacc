// "Is this directory a mount point right now?" LTFS is FUSE: the directory exists either way, only
// the kernel's mount table tells. The default probe reads /proc/self/mounts (no process per poll);
// `mountpoint -q` through the runner is the alternative, and tests plug in the fake tools' table.
import { readFile } from 'node:fs/promises';
import type { CommandRunner } from './command-runner.js';

export interface MountProbe {
  isMounted(dir: string): Promise<boolean>;
}

export class ProcMountsProbe implements MountProbe {
  constructor(private readonly mountsFile = '/proc/self/mounts') {}

  async isMounted(dir: string): Promise<boolean> {
    const table = await readFile(this.mountsFile, 'utf8');
    return table.split('\n').some((line) => unescapeMountField(line.split(' ')[1] ?? '') === dir);
  }
}

/** /proc/mounts escapes space, tab, newline and backslash as octal (\040 ...). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export class MountpointProbe implements MountProbe {
  constructor(private readonly runner: CommandRunner) {}

  async isMounted(dir: string): Promise<boolean> {
    // Exit 0: a mount point; 32 (or 1 on older util-linux): not one.
    const result = await this.runner.run('mountpoint', ['-q', dir], { timeoutMs: 10_000 });
    return result.exitCode === 0;
  }
}

/** Polls `check` every `intervalMs` until it returns true, `stop` returns true, or `timeoutMs` passes. */
export async function pollUntil(
  check: () => Promise<boolean>,
  options: { intervalMs: number; timeoutMs: number; stop?: () => boolean },
): Promise<'ok' | 'stopped' | 'timeout'> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.stop?.()) return 'stopped';
    if (await check()) return 'ok';
    if (options.stop?.()) return 'stopped';
    if (Date.now() >= deadline) return 'timeout';
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
