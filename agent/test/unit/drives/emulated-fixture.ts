// Test helpers for the emulated library: a temp directory per library, and small stream utilities.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable as ReadableStream } from 'node:stream';
import { BLOCK_SIZE, TapeError, type TapeErrorCode } from '../../../src/drives/drive.js';
import { openEmulatedLibrary, type EmulatedLibraryConfig } from '../../../src/drives/emulated/index.js';

export const MiB = 1024 * 1024;

export async function tempDir(prefix = 'ferrite-emu-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function config(dir: string, overrides: Partial<EmulatedLibraryConfig> = {}): EmulatedLibraryConfig {
  return {
    name: 'lib1',
    dir,
    slots: 6,
    drives: 2,
    generation: 9,
    capacityBytes: 16 * BLOCK_SIZE,
    earlyWarningBytes: 4 * BLOCK_SIZE,
    barcodes: ['FER001L9', 'FER002L9', 'FER003L9', 'CLN001L1'],
    ...overrides,
  };
}

export async function open(dir: string, overrides: Partial<EmulatedLibraryConfig> = {}) {
  return openEmulatedLibrary(config(dir, overrides));
}

/** Asserts that `promise` rejects with a TapeError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: TapeErrorCode): Promise<TapeError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof TapeError, `expected TapeError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

export async function writeAll(stream: Writable, data: Buffer, chunk = 64 * 1024): Promise<void> {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  await pipeline(ReadableStream.from(parts), stream);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function pattern(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

export async function readJson(file: string): Promise<any> {
  return JSON.parse(await readFile(file, 'utf8'));
}
