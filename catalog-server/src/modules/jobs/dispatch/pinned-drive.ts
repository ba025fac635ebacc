// Drive choice for jobs that must run on one named drive (load into drive X, unload drive X, clean
// drive X). Pure: the dispatcher asks it first and falls back to the general choice when the job
// is not pinned. A drive that needs cleaning takes only the cleaning job.
import type { JobKind } from '@ferrite/db';
import type { DriveChoice, DriveForChoice } from './drive-choice.js';
import { pinnedDriveOfJob } from '../lifecycle/job-spec.js';

/** The pinned drive, why the job waits for it, or null when the job is not pinned to a drive. */
export function choosePinnedDrive(kind: JobKind, spec: unknown, drives: DriveForChoice[], agentName: string): DriveChoice | null {
  const name = pinnedDriveOfJob(kind, spec);
  if (!name) return null;
  const drive = drives.find((d) => d.name === name);
  if (!drive) return { reason: `agent ${agentName} has no drive ${name}` };
  if (drive.busy) return { reason: `drive ${name} is busy` };
  if (drive.state === 'OFFLINE') return { reason: `drive ${name} is offline` };
  if (drive.state === 'NEEDS_CLEANING' && kind !== 'CLEAN' && kind !== 'UNLOAD') return { reason: `drive ${name} needs cleaning` };
  return { drive };
}
