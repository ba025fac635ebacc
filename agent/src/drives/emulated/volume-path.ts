// Volume paths: relative to the volume root, '/'-separated, never escaping the root. A leading '/'
// is accepted ('/FERRITE.json' and 'FERRITE.json' name the same file).

/** Normalizes a volume path to 'dir/file' form ('' is the root). Throws RangeError on '..' or NUL. */
export function normalizeVolumePath(relPath: string): string {
  if (relPath.includes('\0')) throw new RangeError(`volume path contains NUL: ${JSON.stringify(relPath)}`);
  const segments = relPath.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new RangeError(`volume path must not contain '..': ${JSON.stringify(relPath)}`);
  return segments.join('/');
}

/** Like normalizeVolumePath, but the root itself is not a file name. */
export function normalizeVolumeFilePath(relPath: string): string {
  const normalized = normalizeVolumePath(relPath);
  if (normalized === '') throw new RangeError(`volume path names no file: ${JSON.stringify(relPath)}`);
  return normalized;
}
