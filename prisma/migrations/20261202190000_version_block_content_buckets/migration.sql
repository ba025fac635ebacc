-- A block's content buckets: the distinct content ids of its versions shifted right by 10 bits
-- (ranges of 1,024 ids), with a GIN index. "Files on tape X" for a tape holding tens of thousands of
-- contents finds its candidate blocks through a few hundred buckets instead of one GIN lookup per
-- content (contents are numbered in the order they were first recorded, so a tape's contents fall
-- into few ranges). Ingest fills the column (files.repository.ts, CONTENT_BUCKET_SHIFT).
ALTER TABLE "version_block" ADD COLUMN "content_buckets" BIGINT[];

UPDATE "version_block" SET "content_buckets" = ARRAY(SELECT DISTINCT c >> 10 FROM unnest("content_ids") c WHERE c IS NOT NULL);

CREATE INDEX "version_block_content_buckets_idx" ON "version_block" USING GIN ("content_buckets");

-- The view gains the blocks' buckets (a new last column, so the view is replaced in place).
CREATE OR REPLACE VIEW "file_version" AS
SELECT (b."id" << 16) + e."ord" - 1 AS "id", b."id" AS "block_id", (e."ord" - 1)::int AS "ord",
       b."directory_id", e."name_id", e."content_id", e."size", e."mtime", e."ctime", e."inode", b."run_num",
       e."mode", e."type", e."deleted", COALESCE(e."symlink_target", '') AS "symlink_target",
       b."name_ids" AS "block_name_ids", b."content_ids" AS "block_content_ids", b."mtime_days" AS "block_mtime_days",
       b."content_buckets" AS "block_content_buckets"
  FROM "version_block" b
 CROSS JOIN LATERAL unnest(b."name_ids", b."content_ids", b."sizes", b."mtimes", b."ctimes", b."inodes", b."modes", b."types", b."deleted", b."symlink_targets")
       WITH ORDINALITY AS e("name_id", "content_id", "size", "mtime", "ctime", "inode", "mode", "type", "deleted", "symlink_target", "ord");
