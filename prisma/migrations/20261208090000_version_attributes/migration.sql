-- (No semicolon or quote in these comments: the schema engine splits the script on semicolons.)
-- Every file as it was: the attributes of a version beyond size, times and mode (extended
-- attributes and POSIX ACLs first, later hard links, sparse maps and device numbers) in one
-- array of JSON text per block, element i for version i (catalog-server/src/modules/files/version-attributes.ts
-- names the fields). NULL for a version that has none, which is almost every version, so a
-- block of plain files pays only its null bitmap. Blocks written before this have a NULL array.
ALTER TABLE "version_block" ADD COLUMN "attrs" TEXT[];

-- Both views gain the attributes of each version as a new last column, so they are replaced in place.
CREATE OR REPLACE VIEW "version_slot" AS
SELECT (b."id" << 16) + e."ord" - 1 AS "id", b."id" AS "block_id", (e."ord" - 1)::int AS "ord",
       b."directory_id", e."name_id", e."content_id", e."size", e."mtime", e."ctime", e."inode", b."run_num",
       e."mode", e."type", e."deleted", COALESCE(e."symlink_target", '') AS "symlink_target",
       b."name_ids" AS "block_name_ids", b."content_ids" AS "block_content_ids", b."mtime_days" AS "block_mtime_days",
       b."content_buckets" AS "block_content_buckets", e."mtime_nanos", e."attrs"
  FROM "version_block" b
 CROSS JOIN LATERAL unnest(b."name_ids", b."content_ids", b."sizes", b."mtimes", b."ctimes", b."inodes", b."modes", b."types", b."deleted", b."symlink_targets", b."mtime_nanos", b."attrs")
       WITH ORDINALITY AS e("name_id", "content_id", "size", "mtime", "ctime", "inode", "mode", "type", "deleted", "symlink_target", "mtime_nanos", "attrs", "ord");

CREATE OR REPLACE VIEW "file_version" AS
SELECT (b."id" << 16) + e."ord" - 1 AS "id", b."id" AS "block_id", (e."ord" - 1)::int AS "ord",
       b."directory_id", e."name_id", e."content_id", e."size", e."mtime", e."ctime", e."inode", b."run_num",
       e."mode", e."type", e."deleted", COALESCE(e."symlink_target", '') AS "symlink_target",
       b."name_ids" AS "block_name_ids", b."content_ids" AS "block_content_ids", b."mtime_days" AS "block_mtime_days",
       b."content_buckets" AS "block_content_buckets", e."mtime_nanos", e."attrs"
  FROM "version_block" b
 CROSS JOIN LATERAL unnest(b."name_ids", b."content_ids", b."sizes", b."mtimes", b."ctimes", b."inodes", b."modes", b."types", b."deleted", b."symlink_targets", b."mtime_nanos", b."attrs")
       WITH ORDINALITY AS e("name_id", "content_id", "size", "mtime", "ctime", "inode", "mode", "type", "deleted", "symlink_target", "mtime_nanos", "attrs", "ord")
 WHERE e."name_id" IS NOT NULL;
