// A volume still mounted on a drive's mount point when this agent process did not mount it: the
// agent was killed (its ltfs daemon may still be running and holding the cartridge) or the machine
// went down with it (the kernel keeps a dead FUSE mount). Unmounting lets a live LTFS write its
// index and exit; a dead one's mount is only detached, and the next mount finds the volume dirty
// (LTFS11027E), which the job layer repairs with ltfsck before writing.
import { readdir, readFile } from 'node:fs/promises';
import type { Logger } from '../../logger.js';
import { TapeError } from '../drive.js';
import { ltfsToolError } from './ltfs-errors.js';
import type { LtfsVolumeContext } from './ltfs-volume.js';
import { pollUntil } from './mount-probe.js';

export async function releaseLeftoverMount(root: string, ctx: LtfsVolumeContext, log: Logger): Promise<void> {
  log.warn({ mountPoint: root }, 'a volume is still mounted from an earlier run of the agent: unmounting it');
  const args = ctx.unmountTool === 'fusermount' ? ['-u', root] : [root];
  const result = await ctx.runner.run(ctx.unmountTool, args, { timeoutMs: 120_000 });
  if (result.exitCode !== 0) throw ltfsToolError(`unmounting ${root}, left mounted by an earlier run`, result, 'ALREADY_MOUNTED');
  // The old daemon writes its index after the detach, then exits: the cartridge is ours only then.
  const gone = await pollUntil(async () => !(await ctx.probe.isMounted(root)) && (await ltfsDaemonsOn(root)).length === 0, {
    intervalMs: ctx.pollIntervalMs,
    timeoutMs: ctx.unmountTimeoutMs,
  });
  if (gone !== 'ok') {
    throw new TapeError('ALREADY_MOUNTED', `${root} was left mounted by an earlier run and its LTFS has not exited after ${ctx.unmountTimeoutMs} ms`);
  }
}

/** Process ids of ltfs daemons whose mount point is `root` (the last argument of their command line). */
async function ltfsDaemonsOn(root: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const argv = cmdline.split('\0').filter(Boolean);
    if (argv.length > 1 && /(^|\/)ltfs$/.test(argv[0]) && argv[argv.length - 1] === root) pids.push(Number(entry));
  }
  return pids;
}
