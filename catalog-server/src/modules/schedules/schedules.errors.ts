// Error codes of the schedules domain. Messages say what to fix. AGENT_NOT_FOUND, POOL_NOT_FOUND,
// INVALID_PATH and INVALID_EXCLUDE come from the agents, tapes and jobs domains that own those checks.
import { FerriteError } from '../../common/errors.js';

export const ScheduleErrors = {
  notFound: (name: string) => new FerriteError('SCHEDULE_NOT_FOUND', `no schedule named ${JSON.stringify(name)}; see \`schedules\``, { schedule: name }),
  alreadyExists: (name: string) =>
    new FerriteError('SCHEDULE_ALREADY_EXISTS', `a schedule named ${JSON.stringify(name)} already exists; change it with updateSchedule`, { schedule: name }),
  invalidName: (name: string) =>
    new FerriteError('INVALID_SCHEDULE_NAME', `schedule name ${JSON.stringify(name)} is not valid: use up to 64 letters, digits, '.', '_' or '-'`, {
      schedule: name,
    }),
  invalidCron: (expression: string, problem: string) =>
    new FerriteError(
      'INVALID_CRON',
      `cron expression ${JSON.stringify(expression)} is not valid: ${problem}. Use five fields (minute hour day-of-month month day-of-week, e.g. "30 2 * * *"), six with seconds first, or an alias like @daily`,
      { cron: expression, problem },
    ),
  invalidTimeZone: (zone: string) =>
    new FerriteError(
      'INVALID_TIME_ZONE',
      `time zone ${JSON.stringify(zone)} is not an IANA time zone name such as "Europe/Berlin", "America/New_York" or "UTC"`,
      { timeZone: zone },
    ),
  invalidCount: (count: number) => new FerriteError('INVALID_COUNT', `count must be between 1 and 100, got ${count}`, { count }),
};
