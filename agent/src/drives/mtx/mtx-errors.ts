// Turns mtx failures into TapeError codes. mtx checks the element status itself before a move and
// says why it refuses ("Storage Element 3 is Empty", "Drive 0 Full (Storage Element 5 loaded)");
// when the changer refuses instead, mtx prints the SCSI request sense, whose additional sense code
// tells the same story (3B/0E source empty, 3B/0D destination full, 53/02 removal prevented).
import { TapeError, type TapeErrorCode } from '../drive.js';
import { toolOutput, type CommandResult } from '../ltfs/command-runner.js';

interface MtxRule {
  code: TapeErrorCode;
  patterns: RegExp[];
}

export const MTX_ERROR_RULES: readonly MtxRule[] = [
  { code: 'UNKNOWN_SLOT', patterns: [/Invalid <?storage-element-number>?/i, /illegal <?storage-element-number>?/i, /Invalid (source|destination) element/i] },
  { code: 'UNKNOWN_DRIVE', patterns: [/<?drive-number>?/i, /Invalid Data Transfer Element/i] },
  { code: 'DRIVE_OCCUPIED', patterns: [/Drive \d+ Full/i, /Data Transfer Element \d+ is (already )?Full/i] },
  { code: 'NO_TAPE', patterns: [/Data Transfer Element \d+ is Empty/i, /Drive \d+ (is )?Empty/i] },
  {
    code: 'SLOT_EMPTY',
    patterns: [
      /Storage Element \d+ is Empty/i,
      /source Element Address \d+ is Empty/i,
      /Additional Sense Code = 3B\s+mtx: Request Sense: Additional Sense Qualifier = 0E/i,
    ],
  },
  {
    code: 'SLOT_OCCUPIED',
    patterns: [
      /Storage Element \d+ is Already Full/i,
      /destination Element Address \d+ is Already Full/i,
      /Additional Sense Code = 3B\s+mtx: Request Sense: Additional Sense Qualifier = 0D/i,
    ],
  },
  // The drive holds the cartridge (LTFS mounted, prevent-medium-removal) or the robot is busy.
  { code: 'DRIVE_BUSY', patterns: [/Additional Sense Code = 53/i, /Medium Removal Prevented/i, /Device or resource busy/i, /Sense Key=Not Ready/i] },
];

export function classifyMtxOutput(output: string): TapeErrorCode | null {
  for (const rule of MTX_ERROR_RULES) if (rule.patterns.some((p) => p.test(output))) return rule.code;
  return null;
}

export function mtxError(what: string, result: Pick<CommandResult, 'command' | 'exitCode' | 'stdout' | 'stderr' | 'timedOut'>): TapeError {
  const output = toolOutput(result);
  const code = result.timedOut ? 'DRIVE_BUSY' : (classifyMtxOutput(output) ?? 'MEDIUM_ERROR');
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const telling = lines.filter((l) => /failed|empty|full|invalid|illegal|cannot|busy|sense key|sense code|qualifier/i.test(l) && !/: (no|yes)$/i.test(l));
  const last = (telling.length > 0 ? telling : lines).slice(-4).join(' | ');
  return new TapeError(
    code,
    `${what} failed: \`${result.command}\` ${result.timedOut ? 'timed out' : `exited with ${result.exitCode}`}${last ? `: ${last}` : ''}`,
  );
}
