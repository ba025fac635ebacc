-- Modification times to the nanosecond. mtimes holds the mtime of each version floored to the
-- millisecond (timestamptz(3) holds that exactly), and mtime_nanos holds the nanoseconds within it
-- (0..999,999), element i for version i. Versions recorded before this have NULL there: their agent
-- stored the time rounded to the nearest millisecond, and incrementals compare them that way.
ALTER TABLE "version_block" ADD COLUMN "mtime_nanos" INTEGER[];

-- The view gains the nanoseconds of each version (a new last column, so the view is replaced in place).
CREATE OR REPLACE VIEW "file_version" AS
SELECT (b."id" << 16) + e."ord" - 1 AS "id", b."id" AS "block_id", (e."ord" - 1)::int AS "ord",
       b."directory_id", e."name_id", e."content_id", e."size", e."mtime", e."ctime", e."inode", b."run_num",
       e."mode", e."type", e."deleted", COALESCE(e."symlink_target", '') AS "symlink_target",
       b."name_ids" AS "block_name_ids", b."content_ids" AS "block_content_ids", b."mtime_days" AS "block_mtime_days",
       b."content_buckets" AS "block_content_buckets", e."mtime_nanos"
  FROM "version_block" b
 CROSS JOIN LATERAL unnest(b."name_ids", b."content_ids", b."sizes", b."mtimes", b."ctimes", b."inodes", b."modes", b."types", b."deleted", b."symlink_targets", b."mtime_nanos")
       WITH ORDINALITY AS e("name_id", "content_id", "size", "mtime", "ctime", "inode", "mode", "type", "deleted", "symlink_target", "mtime_nanos", "ord");
