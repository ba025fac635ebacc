// A standalone drive's slot seen through the st driver's `mt` (mt-st): `mt -f DEV status` lists
// ONLINE among the general status bits while a cartridge is loaded (DR_OPEN when the drive is
// empty), and `mt -f DEV offline` rewinds and ejects it for the operator.
import { TapeError } from '../drive.js';
import type { CommandRunner } from './command-runner.js';
import { ltfsToolError } from './ltfs-errors.js';
import type { StandaloneMedium } from './ltfs-drive.js';

export class MtMedium implements StandaloneMedium {
  constructor(
    private readonly runner: CommandRunner,
    private readonly device: string,
    private readonly timeoutMs: number,
  ) {}

  async present(): Promise<boolean> {
    const result = await this.runner.run('mt', ['-f', this.device, 'status'], { timeoutMs: this.timeoutMs });
    if (result.exitCode !== 0) throw ltfsToolError(`asking ${this.device} whether it holds a cartridge`, result);
    return statusSaysOnline(result.stdout);
  }

  async eject(): Promise<void> {
    // Rewinding a full LTO-9 tape takes minutes: the move timeout, not the command one, would fit,
    // but an eject that outlasts this is reported, not waited on forever.
    const result = await this.runner.run('mt', ['-f', this.device, 'offline'], { timeoutMs: Math.max(this.timeoutMs, 10 * 60_000) });
    if (result.exitCode !== 0) throw ltfsToolError(`ejecting the cartridge from ${this.device}`, result, 'MEDIUM_ERROR');
  }
}

/** The general status bits line(s) of `mt status` name ONLINE when a cartridge is loaded. */
export function statusSaysOnline(output: string): boolean {
  const bits = /General status bits on \([0-9a-fA-F]+\):\s*([\s\S]*)$/m.exec(output);
  if (!bits) throw new TapeError('MEDIUM_ERROR', `unexpected mt status output: ${JSON.stringify(output.slice(0, 200))}`);
  return /\bONLINE\b/.test(bits[1]);
}
