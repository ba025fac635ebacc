// An end-to-end stack for tests: the real catalog server and a real agent as separate processes,
// talking gRPC over loopback, on a fresh database, with an emulated library in a temp directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createWriteStream, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLClient } from 'graphql-request';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { freePort } from './ports.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface AgentOptions {
  name: string;
  slots?: number;
  drives?: number;
  barcodes: string[];
  capacityBytes?: number;
  /** Size of the emulated early-warning zone (default: 2% of the capacity). */
  earlyWarningBytes?: number;
  /** The last N slots of the emulated library are import/export slots. */
  importExportSlots?: number;
  /** An existing emulated library (another stack's, with its tapes) instead of a new one. */
  libraryDir?: string;
  /**
   * A shelf shared with other agents' emulated libraries (e.g. `path.join(stack.tmp, 'shelf')`):
   * cartridges keep their data when moved between them (moveCartridge). Default: the library's own.
   */
  shelfDir?: string;
  /** Standalone drives: the emulated library has no changer (and no slots); cartridges go straight
   *  into a drive (insertIntoDrive) and come out again (ejectFromDrive). */
  standalone?: boolean;
  /**
   * 'ltfs-file': the same changer, but cartridges are real LTFS `file`-backend tapes mounted with
   * the real ltfs (LTFS on PATH; at least 256 MiB a cartridge, the default then). Default 'emulated'.
   */
  backend?: 'emulated' | 'ltfs-file';
}

/** The agent's operator tool (agent/src/drives/emulated/shelf-operator.ts), loaded from its build. */
interface ShelfOperator {
  removeCartridge(libraryDir: string, barcode: string): Promise<{ slot: number }>;
  insertCartridge(libraryDir: string, barcode: string, options?: { slot?: number; newCartridge?: boolean }): Promise<{ slot: number }>;
  insertIntoDrive(libraryDir: string, barcode: string, options?: { drive?: number; newCartridge?: boolean }): Promise<{ drive: number }>;
  ejectFromDrive(libraryDir: string, drive?: number): Promise<{ barcode: string }>;
}

async function shelfOperator(): Promise<ShelfOperator> {
  // Imported by path, like the agent's main.js is spawned by path: the catalog server does not
  // depend on the agent package.
  return (await import(pathToFileURL(path.join(repoRoot, 'agent/dist/src/drives/emulated/index.js')).href)) as ShelfOperator;
}

export interface Stack {
  graphqlUrl: string;
  grpcAddress: string;
  /** A client acting as the first admin (the token the server wrote on its first start). */
  gql: GraphQLClient;
  /** The first admin's API token (for WebSocket clients: `connectionParams: { authorization: `Bearer ${token}` }`). */
  adminToken: string;
  tmp: string;
  restoreRoot: string;
  startAgent(options: AgentOptions): Promise<ChildProcess>;
  /** A one-time enrolment token for an agent named `name` (createAgentEnrollment, as the admin). */
  enrollmentToken(name: string): Promise<string>;
  /** Where an agent's emulated library lives (cartridges/<barcode>/volume/ holds each tape's files,
   *  unless the agent was started with a shelfDir: then they are in <shelfDir>/cartridges/). */
  libraryDirOf(name: string): string;
  /** The operator takes a cartridge out of an agent's library (a slot, not a drive) onto the shelf. */
  removeCartridge(agent: string, barcode: string): Promise<{ slot: number }>;
  /** The operator puts a shelf cartridge into a free slot of an agent's library (an import/export slot
   *  first, or `slot`); refused when another library holds it. */
  insertCartridge(agent: string, barcode: string, slot?: number): Promise<{ slot: number }>;
  /**
   * Moves a tape between two agents' libraries that share a shelf (start both with the same
   * `shelfDir`): out of `fromAgent`'s slot, into a free slot of `toAgent`'s. Run an inventory of both
   * agents afterwards for the catalog to see it.
   */
  moveCartridge(barcode: string, fromAgent: string, toAgent: string, toSlot?: number): Promise<{ fromSlot: number; toSlot: number }>;
  /** The operator puts a cartridge (a new blank one when the shelf has never seen it) straight into a
   *  drive of a standalone agent (drive 0 by default); the agent notices it by itself. */
  insertIntoDrive(agent: string, barcode: string, drive?: number): Promise<{ drive: number }>;
  /** The operator takes the cartridge out of a standalone drive onto the shelf. */
  ejectFromDrive(agent: string, drive?: number): Promise<{ barcode: string }>;
  /** Stops one agent cleanly (SIGTERM, then waits for it to exit). */
  stopAgent(name: string): Promise<void>;
  /** Sends a signal to a running agent process (SIGKILL: a crash). */
  killAgent(name: string, signal: NodeJS.Signals): void;
  /** Kills the catalog server process (SIGKILL: a crash); its database stays. */
  killServer(): Promise<void>;
  /** Starts the catalog server again on the same database and ports, and waits until it answers. */
  restartServer(): Promise<void>;
  /** Waits until the server has marked the agent offline. */
  waitForAgentOffline(name: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function spawnLogged(name: string, script: string, args: string[], env: Record<string, string>, logDir: string): ChildProcess {
  const child = spawn(process.execPath, [path.join(repoRoot, script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // Appended: a restarted agent's log follows its first run's.
  const log = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000).then(() => child.kill('SIGKILL'))]);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, intervalMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(intervalMs);
  }
}

export async function startStack(label: string): Promise<Stack> {
  const db: TestDatabase = await createTestDatabase(label);
  const tmp = await mkdtemp(path.join(os.tmpdir(), `ferrite-e2e-${label}-`));
  await chmod(tmp, 0o755);
  const logDir = path.join(tmp, 'logs');
  const restoreRoot = path.join(tmp, 'restores');
  await mkdir(logDir, { recursive: true });
  await mkdir(restoreRoot, { recursive: true });
  const [graphqlPort, grpcPort] = [await freePort(), await freePort()];
  const graphqlUrl = `http://127.0.0.1:${graphqlPort}/graphql`;
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  const children: ChildProcess[] = [];
  const agents = new Map<string, ChildProcess>();
  const libraryDirs = new Map<string, string>();
  const libraryDirOf = (name: string) => libraryDirs.get(name) ?? path.join(tmp, 'agents', name, 'library');

  const serverEnv = {
    DATABASE_URL: db.url,
    FERRITE_DATA_DIR: path.join(tmp, 'server'),
    FERRITE_GRAPHQL_PORT: String(graphqlPort),
    FERRITE_GRPC_PORT: String(grpcPort),
    FERRITE_HOST: '127.0.0.1',
    FERRITE_ADMIN_TOKEN_FILE: path.join(tmp, 'server', 'admin-token'),
    FERRITE_HEARTBEAT_INTERVAL_MS: '1000',
    FERRITE_LOG_LEVEL: 'debug',
  };
  let server = spawnLogged('server', 'catalog-server/dist/src/main.js', [], serverEnv, logDir);
  children.push(server);
  // The server writes the first admin's token before it listens.
  const serverAnswers = () =>
    waitFor(`the server at ${graphqlUrl} (logs in ${logDir})`, async () => {
      if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}; see ${logDir}/server.log`);
      const token = (await readFile(path.join(tmp, 'server', 'admin-token'), 'utf8')).trim();
      await new GraphQLClient(graphqlUrl, { headers: { authorization: `Bearer ${token}` } }).request('{ __typename }');
      return token;
    });
  const adminToken = await serverAnswers();
  const gql = new GraphQLClient(graphqlUrl, { headers: { authorization: `Bearer ${adminToken}` } });
  const newEnrollmentToken = async (name: string) =>
    (await gql.request<{ createAgentEnrollment: { token: string } }>('mutation($n: String!) { createAgentEnrollment(name: $n) { token } }', { n: name }))
      .createAgentEnrollment.token;

  return {
    graphqlUrl,
    grpcAddress,
    gql,
    adminToken,
    tmp,
    restoreRoot,
    async startAgent(options) {
      const dir = path.join(tmp, 'agents', options.name);
      await mkdir(dir, { recursive: true });
      const configPath = path.join(dir, 'agent.json');
      // Enrolled at its first start with a token an admin made (as `npm start` does); a restarted
      // agent has its certificate already.
      const enrolled = existsSync(path.join(dir, 'state', 'identity', 'agent.pem'));
      const enrollmentToken = enrolled ? undefined : await newEnrollmentToken(options.name);
      const libraryDir = options.libraryDir ?? path.join(dir, 'library');
      libraryDirs.set(options.name, libraryDir);
      await writeFile(
        configPath,
        JSON.stringify({
          name: options.name,
          server: grpcAddress,
          ...(enrollmentToken ? { enrollmentToken } : {}),
          hostname: `${options.name}.test`,
          stateDir: path.join(dir, 'state'),
          // The tests' sources all lie in the stack's temp directory; tests format and recycle tapes.
          allowedBackupRoots: [tmp],
          allowedRestoreRoots: [restoreRoot],
          allowFormat: true,
          allowForceFormat: true,
          progressIntervalMs: 100,
          // A test plays the operator who inserts a tape: the waiting backup notices it soon.
          nextTapeRetryMs: 500,
          standalonePollMs: 200,
          logLevel: 'debug',
          libraries: [
            {
              backend: options.backend ?? 'emulated',
              name: `${options.name}-lib`,
              dir: libraryDir,
              slots: options.standalone ? 0 : (options.slots ?? 8),
              drives: options.drives ?? (options.standalone ? 1 : 2),
              ...(options.standalone ? { changer: false } : {}),
              generation: 9,
              capacityBytes: options.capacityBytes ?? (options.backend === 'ltfs-file' ? 256 : 512) * 1024 ** 2,
              ...(options.earlyWarningBytes ? { earlyWarningBytes: options.earlyWarningBytes } : {}),
              barcodes: options.barcodes,
              ...(options.backend === 'ltfs-file' ? {} : { timeScale: 0 }),
              importExportSlots: options.importExportSlots ?? 0,
              ...(options.shelfDir ? { shelfDir: options.shelfDir } : {}),
            },
          ],
        }),
      );
      const agent = spawnLogged(`agent-${options.name}`, 'agent/dist/src/main.js', ['--config', configPath], {}, logDir);
      children.push(agent);
      agents.set(options.name, agent);
      await waitFor(`agent ${options.name} online`, async () => {
        if (agent.exitCode !== null) throw new Error(`agent exited with ${agent.exitCode}; see ${logDir}`);
        const r = await gql.request<{ agent: { online: boolean } | null }>('query($n: String!) { agent(name: $n) { online } }', { n: options.name });
        return r.agent?.online;
      });
      return agent;
    },
    enrollmentToken: newEnrollmentToken,
    libraryDirOf,
    async removeCartridge(agent, barcode) {
      return (await shelfOperator()).removeCartridge(libraryDirOf(agent), barcode);
    },
    async insertCartridge(agent, barcode, slot) {
      return (await shelfOperator()).insertCartridge(libraryDirOf(agent), barcode, { slot });
    },
    async insertIntoDrive(agent, barcode, drive) {
      return (await shelfOperator()).insertIntoDrive(libraryDirOf(agent), barcode, { drive, newCartridge: true });
    },
    async ejectFromDrive(agent, drive) {
      return (await shelfOperator()).ejectFromDrive(libraryDirOf(agent), drive);
    },
    async moveCartridge(barcode, fromAgent, toAgent, toSlot) {
      const operator = await shelfOperator();
      const { slot: fromSlot } = await operator.removeCartridge(libraryDirOf(fromAgent), barcode);
      try {
        const { slot } = await operator.insertCartridge(libraryDirOf(toAgent), barcode, { slot: toSlot });
        return { fromSlot, toSlot: slot };
      } catch (err) {
        // Refused (no free slot, not sharing a shelf...): put it back where it was.
        await operator.insertCartridge(libraryDirOf(fromAgent), barcode, { slot: fromSlot });
        const hint = (err as { code?: string }).code === 'NOT_ON_SHELF' ? ' (start both agents with the same shelfDir)' : '';
        throw new Error(`cannot move ${barcode} from ${fromAgent} to ${toAgent}: ${(err as Error).message}${hint}`, { cause: err });
      }
    },
    async stopAgent(name) {
      const agent = agents.get(name);
      if (!agent) throw new Error(`no agent ${name} was started`);
      await stopChild(agent);
    },
    killAgent(name, signal) {
      const agent = agents.get(name);
      if (!agent) throw new Error(`no agent ${name} was started`);
      agent.kill(signal);
    },
    async killServer() {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGKILL');
      await exited;
    },
    async restartServer() {
      server = spawnLogged('server', 'catalog-server/dist/src/main.js', [], serverEnv, logDir);
      children.push(server);
      await serverAnswers();
    },
    async waitForAgentOffline(name, timeoutMs = 30_000) {
      await waitFor(
        `agent ${name} offline`,
        async () => {
          const r = await gql.request<{ agent: { online: boolean } }>('query($n: String!) { agent(name: $n) { online } }', { n: name });
          return !r.agent.online;
        },
        timeoutMs,
      );
    },
    async stop() {
      for (const child of children.reverse()) await stopChild(child);
      await db.drop().catch(() => {});
      if (!process.env.FERRITE_KEEP_TEST_DIRS) await rm(tmp, { recursive: true, force: true });
    },
  };
}
