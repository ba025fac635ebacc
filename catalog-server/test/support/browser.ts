// A real headless Chromium for browser tests: Debian's `chromium` package driven by playwright-core
// (never a browser Playwright downloads: it cannot here). Where it is missing the tests skip and
// say why, unless FERRITE_REQUIRE_BROWSER=1 (as in CI): then a missing browser fails them.
import { access, constants, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.FERRITE_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here (null: they can). Throws when CI requires them. */
export async function browserUnavailable(): Promise<string | null> {
  try {
    await access(CHROMIUM, constants.X_OK);
    return null;
  } catch {
    const why = `${CHROMIUM} not found (apt-get install -y chromium)`;
    if (process.env.FERRITE_REQUIRE_BROWSER === '1') throw new Error(`FERRITE_REQUIRE_BROWSER=1 but ${why}`);
    return why;
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
}

/** The folder screenshots go to (FERRITE_SCREENSHOT_DIR, else a fresh one under the temp dir), printed for CI to keep. */
export async function screenshotDir(name: string): Promise<string> {
  const dir = process.env.FERRITE_SCREENSHOT_DIR ?? path.join(os.tmpdir(), `ferrite-screenshots-${process.pid}`);
  const out = path.join(dir, name);
  await mkdir(out, { recursive: true });
  console.log(`screenshots of ${name}: ${out}`);
  return out;
}
