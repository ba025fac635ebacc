// Loads Prisma's WebAssembly schema engine without `--experimental-wasm-modules`: the package's
// entry point imports the .wasm file as an ES module, which plain Node 20 refuses, so we instantiate
// the module ourselves and hand it to the generated bindings.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

const require = createRequire(import.meta.url);
let loaded: Promise<void> | undefined;

// Node's global WebAssembly object; @types/node does not declare it without the DOM lib.
const wasmRuntime = (
  globalThis as unknown as {
    WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }> };
  }
).WebAssembly;

async function loadWasm(): Promise<void> {
  // The .wasm file is not in the package's exports map: locate it beside the entry point.
  const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm')), 'schema_engine_bg.wasm');
  const bytes = await readFile(wasmPath);
  const { instance } = await wasmRuntime.instantiate(bytes, { './schema_engine_bg.js': withUnrefTimers(bindings) });
  (bindings as unknown as { __wbg_set_wasm(v: unknown): void }).__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
}

/** The engine arms timers of its own (idle connections) that would keep a finished process alive
 *  for seconds; unref them so they never hold the event loop open. */
function withUnrefTimers(imports: object): Record<string, unknown> {
  const wrapped: Record<string, unknown> = { ...imports };
  for (const [name, fn] of Object.entries(imports)) {
    if (!name.includes('setTimeout') || typeof fn !== 'function') continue;
    wrapped[name] = (...args: unknown[]) => {
      const timer = (fn as (...a: unknown[]) => unknown)(...args) as { unref?: () => void } | undefined;
      timer?.unref?.();
      return timer;
    };
  }
  return wrapped;
}

/** Runs `work` with a schema engine connected to `connectionString`, and disposes of it after. */
export async function withSchemaEngine<T>(
  connectionString: string,
  datamodel: string,
  work: (engine: SchemaEngine) => Promise<T>,
  log: (line: string) => void = () => {},
): Promise<T> {
  loaded ??= loadWasm();
  await loaded;
  // Our own pool, so it can be closed afterwards: a pool left open keeps the migration advisory
  // lock's session alive and the process from exiting.
  const pool = new pg.Pool({ connectionString, max: 2, connectionTimeoutMillis: 30_000 });
  // An idle connection that dies (PostgreSQL restarting) must not crash the process: pg emits
  // 'error' on the pool, and an unheard 'error' event throws.
  pool.on('error', () => undefined);
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool));
  const engine = await (bindings as unknown as { SchemaEngine: typeof SchemaEngine }).SchemaEngine.new(
    { datamodels: [['schema.prisma', datamodel]] },
    (message: string) => log(message),
    adapter,
  );
  try {
    return await work(engine);
  } finally {
    (engine as unknown as { free?: () => void }).free?.();
    await pool.end();
  }
}
