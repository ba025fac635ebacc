// The data map of a sparse file: its extents holding data, in order ([[offset, length], ...] as
// JSON text in the catalog: the version's attributes say the file was sparse, a placement's
// data_map says its object holds those extents packed). Pure: unit-tested.
import type { DataExtent } from '@ferrite/proto';

/** Why the extents cannot be a data map of a file of `size` bytes, or null. */
export function dataMapProblem(extents: readonly DataExtent[], size: number): string | null {
  let end = 0;
  for (const [i, e] of extents.entries()) {
    if (!Number.isSafeInteger(e.offset) || !Number.isSafeInteger(e.length) || e.offset < 0 || e.length <= 0)
      return `data extent ${i} (${e.offset}, ${e.length}) is not an offset and a positive length`;
    if (e.offset < end) return `data extent ${i} starts at ${e.offset}, before the end of the one before it (${end})`;
    end = e.offset + e.length;
    if (end > size) return `data extent ${i} ends at ${end}, past the file's ${size} bytes`;
  }
  return null;
}

export function dataBytes(extents: readonly DataExtent[]): number {
  return extents.reduce((n, e) => n + e.length, 0);
}

export function encodeDataMap(extents: readonly DataExtent[] | undefined): string | null {
  return extents?.length ? JSON.stringify(extents.map((e) => [e.offset, e.length])) : null;
}

export function decodeDataMap(text: string | null | undefined): DataExtent[] {
  if (!text) return [];
  return (JSON.parse(text) as Array<[number, number]>).map(([offset, length]) => ({ offset, length }));
}
