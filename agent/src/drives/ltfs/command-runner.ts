// The one place where the ltfs and mtx backends start external programs. Every tool is named
// (mkltfs, ltfs, mtx, ...) and resolved through a bin map, so tests point the backend at fake
// executables and operators at non-PATH installs. Short commands run to completion with a timeout;
// the ltfs FUSE daemon is started as a long-running child whose exit the backend awaits.
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export type ToolName = 'mkltfs' | 'ltfs' | 'ltfsck' | 'umount' | 'fusermount' | 'mountpoint' | 'getfattr' | 'setfattr' | 'mtx' | 'mt';

/** Program path (or name looked up on PATH) for each tool. */
export type ToolPaths = Record<ToolName, string>;

export const DEFAULT_TOOL_PATHS: ToolPaths = {
  mkltfs: 'mkltfs',
  ltfs: 'ltfs',
  ltfsck: 'ltfsck',
  umount: 'umount',
  fusermount: 'fusermount',
  mountpoint: 'mountpoint',
  getfattr: 'getfattr',
  setfattr: 'setfattr',
  mtx: 'mtx',
  mt: 'mt',
};

export interface CommandResult {
  /** The command line as run, for messages and logs. */
  command: string;
  /** Exit code; null when the process was killed by a signal (timeout included). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
}

export interface RunningCommand {
  readonly command: string;
  /** stdout + stderr received so far (LTFS writes its messages to stderr). */
  output(): string;
  /** Settles when the process exits (never rejects; a spawn failure gives exitCode null). */
  readonly exited: Promise<CommandResult>;
  readonly hasExited: boolean;
  kill(signal?: NodeJS.Signals): void;
}

export interface StartOptions {
  /**
   * Where the program's stdout and stderr go (truncated first) instead of pipes to this process.
   * The ltfs daemon needs it: it outlives an agent killed with SIGKILL, and at its unmount it logs
   * "Writing index" before it writes the index; into a pipe nobody reads any more that write
   * raises SIGPIPE (LTFS ignores it only while FUSE runs) and LTFS dies with the index unwritten.
   * A file is always writable: the surviving daemon writes its index when the mount is released.
   */
  outputFile?: string;
}

export interface CommandRunner {
  run(tool: ToolName, args: string[], options?: RunOptions): Promise<CommandResult>;
  /** Starts a long-running program (the ltfs daemon in the foreground). */
  start(tool: ToolName, args: string[], options?: StartOptions): RunningCommand;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_BUFFER = 16 * 1024 * 1024;

export class ExecFileRunner implements CommandRunner {
  private readonly tools: ToolPaths;

  constructor(
    tools: Partial<ToolPaths> = {},
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.tools = { ...DEFAULT_TOOL_PATHS, ...tools };
  }

  run(tool: ToolName, args: string[], options: RunOptions = {}): Promise<CommandResult> {
    const program = this.tools[tool];
    const command = formatCommand(program, args);
    return new Promise((resolve) => {
      execFile(
        program,
        args,
        // LANG pinned so tool messages (and the LTFS message IDs we parse) are the English ones.
        {
          timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          maxBuffer: MAX_BUFFER,
          env: { ...this.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
          killSignal: 'SIGTERM',
        },
        (error, stdout, stderr) => {
          const err = error as (NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals | null; code?: number | string }) | null;
          const spawnFailed = typeof err?.code === 'string';
          resolve({
            command,
            exitCode: err ? (typeof err.code === 'number' ? err.code : null) : 0,
            signal: err?.signal ?? null,
            stdout: String(stdout),
            stderr: spawnFailed ? `${String(stderr)}${err.message}` : String(stderr),
            timedOut: Boolean(err?.killed && err.signal),
          });
        },
      );
    });
  }

  start(tool: ToolName, args: string[], options: StartOptions = {}): RunningCommand {
    const program = this.tools[tool];
    const command = formatCommand(program, args);
    const env = { ...this.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
    if (options.outputFile) return startWithOutputFile(program, args, command, env, options.outputFile);
    const chunks: string[] = [];
    let exitedFlag = false;
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const stdout: string[] = [];
    const stderr: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout.push(d), chunks.push(d)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr.push(d), chunks.push(d)));
    const exited = new Promise<CommandResult>((resolve) => {
      const finish = (exitCode: number | null, signal: NodeJS.Signals | null, extra = '') => {
        if (exitedFlag) return;
        exitedFlag = true;
        resolve({ command, exitCode, signal, stdout: stdout.join(''), stderr: stderr.join('') + extra, timedOut: false });
      };
      child.once('error', (err) => finish(null, null, err.message));
      child.once('close', (code, signal) => finish(code, signal));
    });
    return {
      command,
      output: () => chunks.join(''),
      exited,
      get hasExited() {
        return exitedFlag;
      },
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        if (!exitedFlag) child.kill(signal);
      },
    };
  }
}

/** A program whose stdout and stderr both go to `file`; what it said is read back from there. */
function startWithOutputFile(program: string, args: string[], command: string, env: NodeJS.ProcessEnv, file: string): RunningCommand {
  const fd = openSync(file, 'w');
  let exitedFlag = false;
  let spawnError = '';
  const output = () => {
    try {
      return readFileSync(file, 'utf8') + spawnError;
    } catch (err) {
      return `(${file} unreadable: ${(err as Error).message})${spawnError}`;
    }
  };
  let child;
  try {
    child = spawn(program, args, { stdio: ['ignore', fd, fd], env });
  } finally {
    // The child has its own copy of the descriptor.
    closeSync(fd);
  }
  const exited = new Promise<CommandResult>((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (exitedFlag) return;
      exitedFlag = true;
      resolve({ command, exitCode, signal, stdout: '', stderr: output(), timedOut: false });
    };
    child.once('error', (err) => {
      spawnError = err.message;
      finish(null, null);
    });
    child.once('exit', (code, signal) => finish(code, signal));
  });
  return {
    command,
    output,
    exited,
    get hasExited() {
      return exitedFlag;
    },
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (!exitedFlag) child.kill(signal);
    },
  };
}

function formatCommand(program: string, args: string[]): string {
  return [program, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Everything a tool said, trimmed, for error messages. */
export function toolOutput(result: Pick<CommandResult, 'stdout' | 'stderr'>): string {
  return `${result.stdout}\n${result.stderr}`.trim();
}
