// Content buckets: content ids grouped in ranges of 2^CONTENT_BUCKET_SHIFT. Contents are numbered in
// the order they are first recorded, so the contents one job wrote to a tape fall into few ranges;
// each version block keeps the distinct ranges of its contents (GIN indexed, see migration
// *_version_block_content_buckets), and "files on tape X" finds its candidate blocks through the
// tape's ranges: hundreds of index lookups for a tape of 100,000 contents instead of 100,000.
// The migration that filled existing blocks has the shift written out: change neither alone.
export const CONTENT_BUCKET_SHIFT = 10;
