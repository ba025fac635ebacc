// The agent's own policy: what any server may order it to do, from its config (allowedBackupRoots,
// allowedRestoreRoots, allowFormat, allowForceFormat). The server is not trusted here: a compromised
// or misconfigured catalog must not be able to wipe tapes or read /root through this agent. Every
// order is checked when it arrives, before its job touches a drive, a tape or the target, and one
// outside the policy fails with POLICY_DENIED and changes nothing.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { JobKind, type AssignJob } from '@ferrite/proto';
import type { AgentConfig } from '../config/agent-config.js';
import { JobError } from './job-context.js';

export const POLICY_DENIED = 'POLICY_DENIED';

/** The part of the config the policy reads. */
export type AgentPolicy = Pick<AgentConfig, 'allowedBackupRoots' | 'allowedRestoreRoots' | 'allowFormat' | 'allowForceFormat'>;

function denied(message: string): JobError {
  return new JobError(POLICY_DENIED, `${message} (refused by this agent's own policy, whatever the server asks)`);
}

export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * Where `p` really is: the kernel's resolution (symlinks, then `..`) of its longest existing
 * prefix, with the rest appended. The rest does not exist yet, so it holds no symlink; a `..` in it
 * could still climb out of the resolved prefix, and is refused rather than guessed at.
 */
export async function resolveReal(p: string): Promise<string> {
  if (!path.isAbsolute(p)) throw denied(`${JSON.stringify(p)} is not an absolute path`);
  const rest: string[] = [];
  let head = p;
  for (;;) {
    try {
      const real = await realpath(head);
      if (rest.includes('..')) throw denied(`${JSON.stringify(p)} has a '..' below its existing part`);
      return path.join(real, ...rest.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      const parent = path.dirname(head);
      if (parent === head) throw err;
      rest.push(path.basename(head));
      head = parent;
    }
  }
}

/** Whether `p`, resolved, lies under one of `roots` (each resolved too: /tmp may itself be a link). */
async function insideRoots(p: string, roots: string[]): Promise<boolean> {
  const real = await resolveReal(p);
  for (const root of roots) if (isInside(await resolveReal(root), real)) return true;
  return false;
}

export async function checkBackupPaths(policy: AgentPolicy, paths: string[]): Promise<void> {
  for (const p of paths) {
    if (!(await insideRoots(p, policy.allowedBackupRoots)))
      throw denied(`backup path ${JSON.stringify(p)} is outside this agent's allowedBackupRoots (${policy.allowedBackupRoots.join(', ')})`);
  }
}

export async function checkRestoreTarget(policy: AgentPolicy, target: string): Promise<void> {
  if (!(await insideRoots(target, policy.allowedRestoreRoots)))
    throw denied(`restore target ${JSON.stringify(target)} is outside this agent's allowedRestoreRoots (${policy.allowedRestoreRoots.join(', ')})`);
}

export function checkFormat(policy: AgentPolicy, force: boolean): void {
  if (!policy.allowFormat) throw denied('formatting tapes is not allowed on this agent (allowFormat is false)');
  if (force && !policy.allowForceFormat)
    throw denied('a forced format (of a tape that may hold data) is not allowed on this agent (allowForceFormat is false)');
}

/** Checks a server's order against the policy; throws POLICY_DENIED for one outside it. */
export async function enforcePolicy(policy: AgentPolicy, cmd: AssignJob): Promise<void> {
  switch (cmd.kind) {
    case JobKind.JOB_KIND_FORMAT:
      return checkFormat(policy, cmd.format?.force ?? false);
    case JobKind.JOB_KIND_BACKUP:
      return checkBackupPaths(policy, cmd.backup?.paths ?? []);
    case JobKind.JOB_KIND_RESTORE:
      return checkRestoreTarget(policy, cmd.restore?.targetDirectory ?? '');
    default:
      // The other jobs read tapes or move them; none reads or writes this host's files.
      return;
  }
}
