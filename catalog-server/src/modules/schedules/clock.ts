// The scheduler's notion of "now", behind a token so tests can hold time still or move it.
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('SCHEDULES_CLOCK');

export const systemClock: Clock = { now: () => new Date() };
