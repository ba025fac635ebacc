// The GraphQL IDE's built files (dist/graphql-ide/, made by web/graphql-ide/build.mjs at npm ci /
// npm run build), read once into memory: a fixed set, so a request can only ever name one of them.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface IdeFile {
  body: Buffer;
  contentType: string;
}

/** dist/graphql-ide beside dist/src, where this file runs from (dist/src/modules/graphql-ide/). */
export const IDE_BUILD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../graphql-ide');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** The built files by name, or null when the IDE was not built (tsc alone). */
export async function loadIdeFiles(dir = IDE_BUILD_DIR): Promise<Map<string, IdeFile> | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  const files = new Map<string, IdeFile>();
  for (const name of names) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (contentType) files.set(name, { body: await readFile(path.join(dir, name)), contentType });
  }
  return files.has('index.html') ? files : null;
}
