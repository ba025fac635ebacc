// The agent configuration entry for real hardware: a changer driven by mtx (optional, for a
// standalone drive) and its drives driven by the LTFS tools. Validated with zod at startup.
import path from 'node:path';
import { z } from 'zod';

export const ltfsToolPathsSchema = z
  .object({
    mkltfs: z.string().min(1),
    ltfs: z.string().min(1),
    ltfsck: z.string().min(1),
    umount: z.string().min(1),
    fusermount: z.string().min(1),
    mountpoint: z.string().min(1),
    getfattr: z.string().min(1),
    setfattr: z.string().min(1),
    mtx: z.string().min(1),
    /** mt-st: a standalone drive's cartridge presence (status) and eject (offline). */
    mt: z.string().min(1),
  })
  .partial()
  .default({});

const ltfsDriveSchema = z.object({
  /** Unique across the agent; default `<library>-drive<index>`. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/)
    .optional(),
  /** Tape device LTFS opens: /dev/nst0 (st driver) or /dev/sg1 (sg backend). */
  device: z.string().min(1),
  /** mtx data transfer element number (0-based); default the drive's position in this list. */
  changerDriveIndex: z.number().int().min(0).optional(),
  serial: z.string().min(1).optional(),
  vendor: z.string().min(1).default('IBM'),
  model: z.string().min(1).optional(),
  /** LTO generation of the drive; default the library's. */
  generation: z.number().int().min(5).max(10).optional(),
});

/** How long each LTFS tool may take before it is given up (and killed). */
export const ltfsTimeoutsSchema = z
  .object({
    mountMs: z
      .number()
      .int()
      .positive()
      .default(15 * 60_000),
    /** Index write at unmount; long on a full LTO-9 index. */
    unmountMs: z
      .number()
      .int()
      .positive()
      .default(30 * 60_000),
    /** New LTO-9 media run a media optimisation of up to two hours at first format. */
    formatMs: z
      .number()
      .int()
      .positive()
      .default(3 * 3600_000),
    checkMs: z
      .number()
      .int()
      .positive()
      .default(3 * 3600_000),
    moveMs: z
      .number()
      .int()
      .positive()
      .default(10 * 60_000),
    commandMs: z.number().int().positive().default(60_000),
  })
  .prefault({});

export const ltfsLibrarySchema = z.object({
  backend: z.literal('ltfs'),
  name: z.string().min(1),
  /** The medium changer; omit for a standalone drive (loaded tapes are then known only once mounted). */
  changer: z.object({ device: z.string().min(1), serial: z.string().min(1).optional() }).optional(),
  drives: z.array(ltfsDriveSchema).min(1).max(64),
  generation: z.number().int().min(5).max(10),
  /** Volumes are mounted on <mountRoot>/<drive name>. */
  mountRoot: z.string().min(1),
  /** LTFS work directories go under <workDirectory>/<drive name>. */
  workDirectory: z.string().min(1),
  /** ltfs -o sync_type. Ferrite forces an index write at every checkpoint, so 'unmount' is enough. */
  syncType: z
    .string()
    .regex(/^(unmount|close|time@\d+)$/, "sync_type is 'unmount', 'close' or 'time@MINUTES'")
    .default('unmount'),
  /** ltfs -o eject: eject after unmount (useful for standalone drives). */
  eject: z.boolean().default(false),
  /** How to unmount the FUSE mount: umount (root) or fusermount -u. */
  unmountCommand: z.enum(['umount', 'fusermount']).default('umount'),
  /** Paths of the tools; each defaults to its name looked up on PATH. */
  bin: ltfsToolPathsSchema,
  /** Early-warning zone: stop starting new objects with less than this left (default 2% of the tape). */
  earlyWarningBytes: z.number().int().positive().optional(),
  timeouts: ltfsTimeoutsSchema,
  /** How often mount state is polled while waiting for LTFS. */
  pollIntervalMs: z.number().int().min(10).default(250),
});

export type LtfsLibrarySettings = z.infer<typeof ltfsLibrarySchema>;

/** Resolves the entry's relative paths against the config file's directory. */
export function resolveLtfsPaths(settings: LtfsLibrarySettings, base: string): LtfsLibrarySettings {
  const abs = (p: string) => path.resolve(base, p);
  return { ...settings, mountRoot: abs(settings.mountRoot), workDirectory: abs(settings.workDirectory), bin: resolveToolPaths(settings.bin, base) };
}

/** Tool paths with a '/' are relative to the config file; bare names are looked up on PATH. */
export function resolveToolPaths<T extends Record<string, string | undefined>>(bin: T, base: string): T {
  return Object.fromEntries(Object.entries(bin).map(([k, v]) => [k, v && v.includes('/') ? path.resolve(base, v) : v])) as T;
}
