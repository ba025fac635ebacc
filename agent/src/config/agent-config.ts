// Agent configuration: a JSON file (FERRITE_AGENT_CONFIG or --config) plus environment overrides,
// validated once at startup. Nothing else in the agent reads process.env.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ltfsLibrarySchema, ltfsTimeoutsSchema, ltfsToolPathsSchema, resolveLtfsPaths, resolveToolPaths } from './ltfs-config-schema.js';

const emulatedLibrarySchema = z.object({
  backend: z.literal('emulated'),
  name: z.string().min(1),
  /** Directory holding the library's state and the cartridges' contents. */
  dir: z.string().min(1),
  /** Ignored (0) when `changer` is false. */
  slots: z.number().int().min(0).max(10000).default(0),
  drives: z.number().int().min(1).max(64),
  generation: z.number().int().min(5).max(10),
  /** Per-cartridge capacity override (scaled-down tapes for tests and demos). */
  capacityBytes: z.number().int().positive().optional(),
  earlyWarningBytes: z.number().int().positive().optional(),
  /** Barcodes placed in slots 1..n the first time the library directory is created. */
  barcodes: z.array(z.string().regex(/^[A-Z0-9]{6}L[0-9A-Z]$/, 'barcode must look like FER001L9')).default([]),
  /** 0 = no mechanical delays; 1 = real LTO timings. */
  timeScale: z.number().min(0).default(0),
  /** The last N slots are import/export (mail) slots. */
  importExportSlots: z.number().int().min(0).default(0),
  /** Directory holding the cartridges' contents, shared by every emulated library configured with the
   *  same shelf (on this agent or others on the machine), so a cartridge moved from one library to
   *  another keeps its data. Default: cartridges/ inside `dir`. */
  shelfDir: z.string().min(1).optional(),
  /** False: standalone drives with no changer (and no slots); an operator inserts cartridges into
   *  the drives (ferrite-emulated insert --drive N) and the agent notices them by itself. */
  changer: z.boolean().default(true),
  /** Drive names: this plus the drive's index (drive0, drive1...). Drive names are unique per agent,
   *  so a second library on the same agent needs its own prefix (e.g. "st"). */
  driveNamePrefix: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9._-]{0,30}$/, 'driveNamePrefix: a letter, then letters, digits, . _ -')
    .default('drive'),
});

/** LTFS's file backend mounts a cartridge writable only from about this size (its index partition
 *  needs room); 256 MiB formats and fills to about 237 MiB. */
export const LTFS_FILE_MIN_CAPACITY_BYTES = 256 * 1024 * 1024;

/**
 * A library of file-backed LTFS cartridges: the changer, slots, mail slots and shelf of the
 * emulated library, but each cartridge is an LTFS `file`-backend tape directory, and each drive
 * formats, mounts and checks it with the real mkltfs, ltfs and ltfsck.
 */
const ltfsFileLibrarySchema = emulatedLibrarySchema.omit({ backend: true, timeScale: true }).extend({
  backend: z.literal('ltfs-file'),
  capacityBytes: z
    .number()
    .int()
    .min(LTFS_FILE_MIN_CAPACITY_BYTES, 'LTFS file cartridges need capacityBytes >= 268435456 (256 MiB) to mount writable')
    .optional(),
  bin: ltfsToolPathsSchema,
  unmountCommand: z.enum(['umount', 'fusermount']).default('fusermount'),
  timeouts: ltfsTimeoutsSchema,
  pollIntervalMs: z.number().int().min(10).default(100),
});

const absolutePath = z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path');

export const agentConfigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'agent name: letters, digits, . _ -'),
    /** host:port of the catalog server's gRPC endpoint. */
    server: z.string().min(1),
    /** The name the catalog server's TLS certificate must carry (its own CA's certificates carry
     *  `ferrite-catalog`; a site CA's server certificate may carry the server's host name). */
    serverName: z.string().min(1).default('ferrite-catalog'),
    /** Where the agent keeps its key, certificate and the server's CA (default <stateDir>/identity). */
    identityDir: z.string().min(1).optional(),
    /** A one-time enrolment token (createAgentEnrollment), used at start when the agent has no
     *  certificate yet; spent after that (FERRITE_ENROLLMENT_TOKEN). */
    enrollmentToken: z.string().min(1).optional(),
    hostname: z.string().min(1),
    // The agent's own policy (jobs/job-policy.ts): it refuses any order outside it with
    // POLICY_DENIED, whatever the server asks. Required, with no default, so a deployment says what
    // this host lets a catalog server read and overwrite; symlinks and `..` are resolved first.
    /** Backup paths must lie under one of these directories. */
    allowedBackupRoots: z.array(absolutePath).min(1),
    /** Restore targets must lie under one of these directories. */
    allowedRestoreRoots: z.array(absolutePath).min(1),
    /** Whether the agent formats tapes at all (closed by default). */
    allowFormat: z.boolean().default(false),
    /** Whether it formats a tape that holds a volume (FormatSpec.force: erases what was on it). */
    allowForceFormat: z.boolean().default(false),
    /** Emulated libraries and real ones (mtx changer + LTFS drives), told apart by `backend`. */
    libraries: z.array(z.discriminatedUnion('backend', [emulatedLibrarySchema, ltfsLibrarySchema, ltfsFileLibrarySchema])).default([]),
    /** Working directory for the agent's own state (mount points, temp files). */
    stateDir: z.string().min(1),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** Minimum interval between two PROGRESS reports of one job. */
    progressIntervalMs: z.number().int().min(10).default(500),
    /** How long a backup waits before asking the server again for a next tape when there was none. */
    nextTapeRetryMs: z.number().int().min(100).default(30_000),
    /** How often the agent looks into its standalone drives (no changer) for a cartridge an operator
     *  inserted or took out; a change is reported to the server, and a job waiting for it goes on. */
    standalonePollMs: z.number().int().min(50).default(2000),
    /** Port of the agent's /healthz, /readyz and /metrics (health/health-server.ts); unset: off.
     *  0 lets the system choose (tests). FERRITE_AGENT_HEALTH_PORT. */
    healthPort: z.coerce.number().int().min(0).max(65535).optional(),
    /** Where that endpoint listens: this machine only unless the site opens it. */
    healthHost: z.string().min(1).default('127.0.0.1'),
  })
  .superRefine((config, ctx) => {
    if (config.allowForceFormat && !config.allowFormat)
      ctx.addIssue({ code: 'custom', path: ['allowForceFormat'], message: 'allowForceFormat needs allowFormat' });
    // Said at startup, not when the library first opens: a library with a changer needs its slots.
    config.libraries.forEach((lib, i) => {
      if (lib.backend !== 'ltfs' && lib.changer && lib.slots < 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['libraries', i, 'slots'],
          message: 'an emulated library with a changer needs slots >= 1 (set changer: false for standalone drives)',
        });
      }
    });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type EmulatedLibrarySettings = z.infer<typeof emulatedLibrarySchema>;
export type LtfsFileLibrarySettings = z.infer<typeof ltfsFileLibrarySchema>;
export type { LtfsLibrarySettings } from './ltfs-config-schema.js';

export class AgentConfigError extends Error {}

/** Where the agent keeps its key, certificate and pinned CA: `identityDir`, or `<stateDir>/identity`. */
export function identityDirOf(config: Pick<AgentConfig, 'identityDir' | 'stateDir'>): string {
  return config.identityDir ?? path.join(config.stateDir, 'identity');
}

/** Reads the config file (if any) and applies FERRITE_* environment overrides. Relative paths in
 *  the file are resolved against the file's directory. */
export async function loadAgentConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): Promise<AgentConfig> {
  const flag = argv.indexOf('--config');
  const file = flag >= 0 ? argv[flag + 1] : env.FERRITE_AGENT_CONFIG;
  let raw: Record<string, unknown> = {};
  let base = process.cwd();
  if (file) {
    try {
      raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new AgentConfigError(`cannot read agent config ${file}: ${(err as Error).message}`);
    }
    base = path.dirname(path.resolve(file));
  }
  const merged = {
    hostname: os.hostname(),
    stateDir: '.ferrite/agent',
    ...raw,
    ...(env.FERRITE_AGENT_NAME ? { name: env.FERRITE_AGENT_NAME } : {}),
    ...(env.FERRITE_SERVER ? { server: env.FERRITE_SERVER } : {}),
    ...(env.FERRITE_ENROLLMENT_TOKEN ? { enrollmentToken: env.FERRITE_ENROLLMENT_TOKEN } : {}),
    ...(env.FERRITE_LOG_LEVEL ? { logLevel: env.FERRITE_LOG_LEVEL } : {}),
    ...(env.FERRITE_AGENT_HEALTH_PORT ? { healthPort: env.FERRITE_AGENT_HEALTH_PORT } : {}),
  };
  const parsed = agentConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AgentConfigError(`invalid agent configuration${file ? ` in ${file}` : ''}: ${problems}`);
  }
  const config = parsed.data;
  const abs = (p: string) => path.resolve(base, p);
  return {
    ...config,
    stateDir: abs(config.stateDir),
    identityDir: abs(identityDirOf(config)),
    allowedBackupRoots: config.allowedBackupRoots.map(abs),
    allowedRestoreRoots: config.allowedRestoreRoots.map(abs),
    libraries: config.libraries.map((l) => {
      if (l.backend === 'ltfs') return resolveLtfsPaths(l, base);
      const dirs = { dir: abs(l.dir), ...(l.shelfDir ? { shelfDir: abs(l.shelfDir) } : {}) };
      return l.backend === 'ltfs-file' ? { ...l, ...dirs, bin: resolveToolPaths(l.bin, base) } : { ...l, ...dirs };
    }),
  };
}
