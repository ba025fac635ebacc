// Derived progress figures an operator reads: percent done and the estimated time left. Pure, from
// the latest snapshot and the average rate since the job started (an average rather than the last
// interval, so a pause to change tapes does not swing the estimate wildly).

export interface ProgressFigures {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** Share done, 0..100, by bytes when the total is known, else by files; null when neither is. */
export function percentDone(p: ProgressFigures): number | null {
  if (p.bytesTotal > 0) return Math.min(100, (100 * p.bytesDone) / p.bytesTotal);
  if (p.filesTotal > 0) return Math.min(100, (100 * p.filesDone) / p.filesTotal);
  return null;
}

/** Seconds left at the average rate; null without a rate or a byte total (a scan still counting). */
export function etaSeconds(p: ProgressFigures, bytesPerSecond: number | null): number | null {
  if (!bytesPerSecond || bytesPerSecond <= 0 || p.bytesTotal <= 0) return null;
  const left = Math.max(0, p.bytesTotal - p.bytesDone);
  return Math.round(left / bytesPerSecond);
}
