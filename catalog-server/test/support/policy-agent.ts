// An agent process with a policy of the test's choosing, beside a Stack's own agents (which allow
// everything the e2e tests need: formats, forced formats, backups of the stack's directory). The
// security suite starts one that forbids formats, one with narrow roots, or one that runs as an
// unprivileged user, and drives it through the real server like any other agent.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor, type Stack } from './stack.js';

const agentMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../agent/dist/src/main.js');

export interface AgentPolicyConfig {
  allowedBackupRoots: string[];
  allowedRestoreRoots: string[];
  allowFormat: boolean;
  allowForceFormat: boolean;
}

export interface PolicyAgentOptions {
  name: string;
  barcodes: string[];
  policy: AgentPolicyConfig;
  /** Runs the agent as this user (its directories are given to it); default: the test's own. */
  user?: { uid: number; gid: number };
}

export interface PolicyAgent {
  name: string;
  /** The emulated library: cartridges/<barcode>/ holds each tape. */
  libraryDir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await chownTree(p, uid, gid);
    else await chown(p, uid, gid);
  }
}

/** Starts the agent and waits until the server sees it online. */
export async function startPolicyAgent(stack: Stack, options: PolicyAgentOptions): Promise<PolicyAgent> {
  const dir = path.join(stack.tmp, 'policy-agents', options.name);
  const libraryDir = path.join(dir, 'library');
  await mkdir(libraryDir, { recursive: true });
  const configPath = path.join(dir, 'agent.json');
  const config = {
    name: options.name,
    server: stack.grpcAddress,
    enrollmentToken: await stack.enrollmentToken(options.name),
    hostname: `${options.name}.test`,
    stateDir: path.join(dir, 'state'),
    ...options.policy,
    progressIntervalMs: 100,
    logLevel: 'debug',
    libraries: [
      {
        backend: 'emulated',
        name: `${options.name}-lib`,
        dir: libraryDir,
        slots: 4,
        drives: 1,
        generation: 9,
        capacityBytes: 256 * 1024 ** 2,
        barcodes: options.barcodes,
      },
    ],
  };
  await writeFile(configPath, JSON.stringify(config, null, 2));
  if (options.user) await chownTree(dir, options.user.uid, options.user.gid);

  const child = spawn(process.execPath, [agentMain, '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Another user gets a service account's environment: the test's PATH may name directories it
    // cannot search (spawning a tool then fails EACCES instead of ENOENT).
    ...(options.user
      ? { uid: options.user.uid, gid: options.user.gid, env: { ...process.env, HOME: dir, PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' } }
      : {}),
  });
  const log = createWriteStream(path.join(stack.tmp, 'logs', `agent-${options.name}.log`), { flags: 'a' });
  child.stdout.pipe(log);
  child.stderr.pipe(log);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000).then(() => child.kill('SIGKILL'))]);
  };
  try {
    await waitFor(`policy agent ${options.name} online`, async () => {
      if (child.exitCode !== null) throw new Error(`agent ${options.name} exited with ${child.exitCode}; see ${stack.tmp}/logs`);
      const r = await stack.gql.request<{ agent: { online: boolean } | null }>('query($n: String!) { agent(name: $n) { online } }', { n: options.name });
      return r.agent?.online;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: options.name, libraryDir, process: child, stop };
}
