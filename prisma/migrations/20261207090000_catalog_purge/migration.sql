-- (No semicolon or quote in these comments: the schema engine splits the script on semicolons.)
-- The catalog purge: file versions whose content is on no tape any more leave the catalog, with
-- the contents and runs nothing refers to afterwards (catalog-server/src/modules/tapes/catalog-purge.service.ts).
--
-- A version that leaves its block leaves a hole rather than being compacted out: element i of
-- every array of the block becomes NULL (name_ids i NULL marks the hole), so every other version
-- of the block keeps its position and therefore its id (block id * 65536 + position), which search
-- cursors, restore selections by id and runChanges pages rely on. A block whose versions have all
-- left is deleted. The view file_version now shows no row for a hole, and the new view
-- version_slot shows every position, holes included, for the code that rewrites blocks in place
-- (ingest replacing a version of its run keeps every other element where it is).
CREATE TABLE "content_purge" (
    "content_id" BIGINT NOT NULL,

    CONSTRAINT "content_purge_pkey" PRIMARY KEY ("content_id")
);

CREATE VIEW "version_slot" AS
SELECT (b."id" << 16) + e."ord" - 1 AS "id", b."id" AS "block_id", (e."ord" - 1)::int AS "ord",
       b."directory_id", e."name_id", e."content_id", e."size", e."mtime", e."ctime", e."inode", b."run_num",
       e."mode", e."type", e."deleted", COALESCE(e."symlink_target", '') AS "symlink_target",
       b."name_ids" AS "block_name_ids", b."content_ids" AS "block_content_ids", b."mtime_days" AS "block_mtime_days",
       b."content_buckets" AS "block_content_buckets", e."mtime_nanos"
  FROM "version_block" b
 CROSS JOIN LATERAL unnest(b."name_ids", b."content_ids", b."sizes", b."mtimes", b."ctimes", b."inodes", b."modes", b."types", b."deleted", b."symlink_targets", b."mtime_nanos")
       WITH ORDINALITY AS e("name_id", "content_id", "size", "mtime", "ctime", "inode", "mode", "type", "deleted", "symlink_target", "mtime_nanos", "ord");

CREATE OR REPLACE VIEW "file_version" AS
SELECT (b."id" << 16) + e."ord" - 1 AS "id", b."id" AS "block_id", (e."ord" - 1)::int AS "ord",
       b."directory_id", e."name_id", e."content_id", e."size", e."mtime", e."ctime", e."inode", b."run_num",
       e."mode", e."type", e."deleted", COALESCE(e."symlink_target", '') AS "symlink_target",
       b."name_ids" AS "block_name_ids", b."content_ids" AS "block_content_ids", b."mtime_days" AS "block_mtime_days",
       b."content_buckets" AS "block_content_buckets", e."mtime_nanos"
  FROM "version_block" b
 CROSS JOIN LATERAL unnest(b."name_ids", b."content_ids", b."sizes", b."mtimes", b."ctimes", b."inodes", b."modes", b."types", b."deleted", b."symlink_targets", b."mtime_nanos")
       WITH ORDINALITY AS e("name_id", "content_id", "size", "mtime", "ctime", "inode", "mode", "type", "deleted", "symlink_target", "mtime_nanos", "ord")
 WHERE e."name_id" IS NOT NULL;
