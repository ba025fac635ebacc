// Mechanical delays of the emulated drive. timeScale 0 (the default) means no delay at all; 1 means
// real LTO timings from generations.ts; 0.01 makes a 17 s load take 170 ms and lets data stream 100x
// faster than the native rate.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LtoGeneration } from '../generations.js';

export class DriveTiming {
  constructor(
    readonly generation: LtoGeneration,
    readonly timeScale: number,
  ) {}

  get enabled(): boolean {
    return this.timeScale > 0;
  }

  async load(): Promise<void> {
    await this.delay(this.generation.loadSeconds);
  }

  async unload(): Promise<void> {
    await this.delay(this.generation.unloadSeconds);
  }

  /**
   * Seconds to locate from one block to another. The average locate time corresponds to a third of
   * the tape (the mean distance between two random points); shorter moves scale down linearly and
   * no move takes more than twice the average. Reading on from where the head is costs nothing.
   */
  locateSeconds(fromBlock: number, toBlock: number, totalBlocks: number): number {
    const distance = Math.abs(toBlock - fromBlock);
    if (distance <= 1 || totalBlocks <= 0) return 0;
    const average = this.generation.averageLocateSeconds;
    return Math.min(2 * average, (average * distance) / (totalBlocks / 3));
  }

  async locate(fromBlock: number, toBlock: number, totalBlocks: number): Promise<void> {
    await this.delay(this.locateSeconds(fromBlock, toBlock, totalBlocks));
  }

  /** Bytes per second the emulated head streams at; 0 when unthrottled. */
  get bytesPerSecond(): number {
    return this.enabled ? (this.generation.nativeRateMBps * 1e6) / this.timeScale : 0;
  }

  private async delay(seconds: number): Promise<void> {
    const ms = seconds * this.timeScale * 1000;
    if (ms > 0) await sleep(ms);
  }
}

/**
 * Paces a byte stream to a rate: after `bytes` have passed since `startedAt`, returns how many ms the
 * caller should wait so the average stays at `bytesPerSecond`.
 */
export function paceDelayMs(bytes: number, startedAt: number, bytesPerSecond: number): number {
  if (bytesPerSecond <= 0) return 0;
  const due = startedAt + (bytes / bytesPerSecond) * 1000;
  return Math.max(0, due - performance.now());
}
