// Cron expressions and time zones as schedules use them: validation with messages an operator can
// act on, and fire instants computed in the schedule's zone (so "02:30 daily" stays 02:30 local
// across DST changes). Pure functions over the `cron` package that @nestjs/schedule itself uses, so
// the instants shown in GraphQL are the instants the timers fire at.
import { CronTime, validateCronExpression } from 'cron';
import { ScheduleErrors } from './schedules.errors.js';

/**
 * The canonical IANA name of `zone` ("europe/berlin" -> "Europe/Berlin"), or an INVALID_TIME_ZONE
 * error. Fixed offsets ("+02:00") are refused: a schedule in one would drift an hour from local
 * time twice a year, which is what the zone is for.
 */
export function canonicalTimeZone(zone: string): string {
  const trimmed = zone.trim();
  let resolved: string | undefined;
  if (/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(trimmed)) {
    try {
      resolved = new Intl.DateTimeFormat('en-US', { timeZone: trimmed }).resolvedOptions().timeZone;
    } catch {
      resolved = undefined;
    }
  }
  if (!resolved) throw ScheduleErrors.invalidTimeZone(zone);
  return resolved;
}

/**
 * The expression, trimmed with runs of blanks collapsed, or an INVALID_CRON error naming the
 * problem. Five fields (minute hour day-of-month month day-of-week), six with seconds first, or an
 * alias (@daily, @weekly, ...). An expression that can never fire (0 0 30 2 *) is refused too.
 */
export function normalizeCron(expression: string, zone: string): string {
  const cron = expression.trim().replace(/\s+/g, ' ');
  if (!cron) throw ScheduleErrors.invalidCron(expression, 'it is empty');
  const check = validateCronExpression(cron);
  if (!check.valid) throw ScheduleErrors.invalidCron(expression, check.error?.message ?? 'it does not parse');
  try {
    nextFireTimes(cron, zone, new Date(), 1);
  } catch {
    throw ScheduleErrors.invalidCron(expression, 'it matches no date (e.g. a day that does not exist in that month)');
  }
  return cron;
}

/** The next `count` instants strictly after `from` at which `cron` fires in `zone`. */
export function nextFireTimes(cron: string, zone: string, from: Date, count: number): Date[] {
  const time = new CronTime(cron, zone);
  const out: Date[] = [];
  let cursor = from;
  // Bounded: only a start inside a repeated (fall-back) hour yields a candidate that is skipped.
  for (let i = 0; out.length < count && i < count + 4; i++) {
    const next = time.getNextDateFrom(cursor, zone).toJSDate();
    if (isFireInstant(cron, zone, next)) out.push(next);
    cursor = next;
  }
  return out;
}

/**
 * The fire instant a timer tick at `now` belongs to: the latest instant of `cron` in
 * (now - lookbackMs, now + toleranceMs]. Timers fire a few milliseconds late (or, under load, a
 * little early by our clock), so the tick time itself is never the key; the computed instant is,
 * and every replica computes the same one. Null when no instant is that close (a stray tick).
 */
export function fireInstantFor(cron: string, zone: string, now: Date, lookbackMs = 60_000, toleranceMs = 1_000): Date | null {
  const time = new CronTime(cron, zone);
  const limit = now.getTime() + toleranceMs;
  let cursor = new Date(now.getTime() - lookbackMs);
  let found: Date | null = null;
  // Bounded: a seconds-field expression fires at most once a second within the window.
  for (let i = 0; i < 100; i++) {
    const next = time.getNextDateFrom(cursor, zone).toJSDate();
    if (next.getTime() > limit) break;
    found = next;
    cursor = next;
  }
  return found;
}

const HOUR_AND_SOME_MS = 65 * 60_000;

/**
 * Whether `instant` is one of the instants `cron` fires at in `zone`. On fall-back night the cron
 * library, asked from inside the repeated hour, also matches the second copy of a fixed local time
 * (02:30 CET after 02:30 CEST), though its own sequence steps over it. So for jobs that fire less
 * than hourly, the instant must also lie on the sequence followed from an hour before: a timer set
 * inside the repeated hour then cannot fire a daily job twice.
 */
export function isFireInstant(cron: string, zone: string, instant: Date): boolean {
  const t = instant.getTime();
  try {
    const time = new CronTime(cron, zone);
    const next = (from: number) => time.getNextDateFrom(new Date(from), zone).toMillis();
    if (next(t - 1) !== t) return false;
    if (next(t) - t < HOUR_AND_SOME_MS) return true;
    let cursor = t - HOUR_AND_SOME_MS;
    for (let i = 0; i < 200; i++) {
      const n = next(cursor);
      if (n >= t) return n === t;
      cursor = n;
    }
    return true;
  } catch {
    return false;
  }
}
