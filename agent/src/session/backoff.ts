// Reconnect delay: 1 s << min(attempt, 6), capped at 64 s, plus up to 50% jitter so a fleet of agents
// that lost the server at the same moment does not come back in lockstep.
export function reconnectDelayMs(attempt: number, random: () => number = Math.random, baseMs = 1000): number {
  const exp = baseMs * 2 ** Math.min(Math.max(attempt, 0), 6);
  return Math.round(exp + exp * 0.5 * random());
}
