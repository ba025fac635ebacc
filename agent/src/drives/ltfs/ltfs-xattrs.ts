// LTFS's virtual extended attributes, read with getfattr and written with setfattr (Node has no
// xattr call). On Linux LTFS exposes them in the user namespace: user.ltfs.startblock on files,
// user.ltfs.mediaDataPartitionAvailableSpace and friends on the volume root, user.ltfs.sync to
// force an index write. Names and formats from LTFS src/libltfs/xattr.c.
import { TapeError, type Partition } from '../drive.js';
import type { CommandRunner } from './command-runner.js';
import { ltfsToolError } from './ltfs-errors.js';
import { decodeTapeAlerts, type TapeAlert } from './tape-alert-flags.js';

export const XATTR = {
  startBlock: 'user.ltfs.startblock',
  partition: 'user.ltfs.partition',
  volumeUuid: 'user.ltfs.volumeUUID',
  volumeName: 'user.ltfs.volumeName',
  volumeSerial: 'user.ltfs.volumeSerial',
  indexGeneration: 'user.ltfs.indexGeneration',
  /** Capacities are in MiB (blocks x blocksize / 1048576). */
  dataTotal: 'user.ltfs.mediaDataPartitionTotalCapacity',
  dataAvailable: 'user.ltfs.mediaDataPartitionAvailableSpace',
  /** TapeAlert flags as '0x%016x': flag n is bit n-1. */
  storageAlert: 'user.ltfs.mediaStorageAlert',
  sync: 'user.ltfs.sync',
} as const;

const MIB = 1024 * 1024;

export interface VolumeAttributes {
  volumeUuid: string | null;
  totalBytes: number;
  availableBytes: number;
  alerts: TapeAlert[];
  alertBits: bigint;
  indexGeneration: number | null;
}

export class LtfsXattrs {
  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs: number,
  ) {}

  /** One attribute's value; null when the file has no such attribute. */
  async get(file: string, name: string): Promise<string | null> {
    const result = await this.runner.run('getfattr', ['-n', name, '--only-values', '--absolute-names', file], { timeoutMs: this.timeoutMs });
    if (result.exitCode === 0) return result.stdout;
    if (/no such attribute/i.test(result.stderr)) return null;
    if (/no such file or directory/i.test(result.stderr)) throw new TapeError('FILE_NOT_FOUND', `${file} does not exist`);
    throw ltfsToolError(`reading ${name} of ${file}`, result);
  }

  async set(file: string, name: string, value: string): Promise<void> {
    const result = await this.runner.run('setfattr', ['-n', name, '-v', value, file], { timeoutMs: this.timeoutMs });
    if (result.exitCode !== 0) throw ltfsToolError(`setting ${name} on ${file}`, result);
  }

  /** Where LTFS placed a file's first extent. A file with no data has no extent: null. */
  async position(file: string): Promise<{ partition: Partition; startBlock: number } | null> {
    const [startBlock, partitionValue] = await Promise.all([this.get(file, XATTR.startBlock), this.get(file, XATTR.partition)]);
    if (startBlock === null) return null;
    const partition = partitionValue?.trim();
    const block = Number(startBlock.trim());
    if (!Number.isSafeInteger(block) || (partition !== 'a' && partition !== 'b')) {
      throw new TapeError(
        'MEDIUM_ERROR',
        `unexpected LTFS position of ${file}: partition ${JSON.stringify(partition)}, start block ${JSON.stringify(startBlock)}`,
      );
    }
    return { partition, startBlock: block };
  }

  /** Data partition capacity and space left, in bytes. */
  async capacity(root: string): Promise<{ totalBytes: number; availableBytes: number }> {
    const [total, available] = await Promise.all([this.get(root, XATTR.dataTotal), this.get(root, XATTR.dataAvailable)]);
    return { totalBytes: mibToBytes(total, XATTR.dataTotal), availableBytes: mibToBytes(available, XATTR.dataAvailable) };
  }

  async volume(root: string): Promise<VolumeAttributes> {
    const [uuid, total, available, alert, generation] = await Promise.all([
      this.get(root, XATTR.volumeUuid),
      this.get(root, XATTR.dataTotal),
      this.get(root, XATTR.dataAvailable),
      this.get(root, XATTR.storageAlert),
      this.get(root, XATTR.indexGeneration),
    ]);
    const alertBits = parseAlertBits(alert);
    return {
      volumeUuid: uuid?.trim() || null,
      totalBytes: mibToBytes(total, XATTR.dataTotal),
      availableBytes: mibToBytes(available, XATTR.dataAvailable),
      alertBits,
      alerts: decodeTapeAlerts(alertBits),
      indexGeneration: generation === null ? null : Number(generation.trim()),
    };
  }

  /** Forces LTFS to write its index now (what sync_type=unmount would do only at the end). */
  async sync(root: string): Promise<void> {
    await this.set(root, XATTR.sync, '1');
  }
}

export function mibToBytes(value: string | null, name: string): number {
  const n = Number(value?.trim());
  if (value === null || !Number.isFinite(n) || n < 0) throw new TapeError('MEDIUM_ERROR', `LTFS reported no usable ${name} (${JSON.stringify(value)})`);
  return Math.round(n * MIB);
}

export function parseAlertBits(value: string | null): bigint {
  const text = value?.trim();
  if (!text) return 0n;
  try {
    return BigInt(text.startsWith('0x') || text.startsWith('0X') ? text : `0x${text}`);
  } catch {
    throw new TapeError('MEDIUM_ERROR', `unexpected ${XATTR.storageAlert} value ${JSON.stringify(value)}`);
  }
}
