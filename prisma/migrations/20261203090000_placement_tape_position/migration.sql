-- Placements of a tape in tape order, so a verify reads a whole tape page by page (keyset on the
-- position) instead of sorting every placement of the tape for each page. Replaces the tape-only
-- index: every query that used it filters on tape_id, the first column here.
DROP INDEX "placement_tape_id_idx";

CREATE INDEX "placement_tape_id_partition_start_block_offset_idx" ON "placement"("tape_id", "partition", "start_block", "offset");
