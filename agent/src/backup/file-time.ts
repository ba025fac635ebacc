// File times as the kernel keeps them: nanoseconds since the epoch. Ferrite carries a time as whole
// milliseconds (floored) plus the nanoseconds within that millisecond (0..999,999): every hop (proto,
// JSON manifests on tape, PostgreSQL's millisecond timestamps) then holds it exactly as plain
// numbers, and nothing rounds. (A float of milliseconds, as `stat().mtimeMs` gives, cannot: agents
// that stored Math.round(mtimeMs) brought a file of ...21.9996 s back as ...22.000 s.)

export interface SplitTime {
  /** Milliseconds since the epoch, floored (so -1 ns is ms -1, nanos 999,999). */
  ms: number;
  /** Nanoseconds within that millisecond, 0..999,999. */
  nanos: number;
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

export function splitNs(ns: bigint): SplitTime {
  let ms = ns / NS_PER_MS;
  let rest = ns % NS_PER_MS;
  if (rest < 0n) {
    rest += NS_PER_MS;
    ms -= 1n;
  }
  return { ms: Number(ms), nanos: Number(rest) };
}

export function joinNs(ms: number, nanos: number): bigint {
  return BigInt(ms) * NS_PER_MS + BigInt(nanos);
}

/** Seconds and nanoseconds (0..999,999,999) as utimensat wants them. */
export function toTimespec(ms: number, nanos: number): { sec: bigint; nsec: bigint } {
  const ns = joinNs(ms, nanos);
  let sec = ns / NS_PER_S;
  let nsec = ns % NS_PER_S;
  if (nsec < 0n) {
    nsec += NS_PER_S;
    sec -= 1n;
  }
  return { sec, nsec };
}

/** The millisecond an agent before nanosecond times recorded for this time: Math.round of the float
 *  milliseconds, i.e. half a millisecond or more rounds up. */
export function legacyRoundedMs(t: SplitTime): number {
  return t.nanos >= 500_000 ? t.ms + 1 : t.ms;
}
