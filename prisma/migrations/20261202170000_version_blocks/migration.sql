-- (No semicolon or quote in these comments: the schema engine splits the script on semicolons.)
-- File versions packed into blocks (issue 4: bytes per version and ingest rate).
-- A block holds the versions one run recorded in one directory (at most 1000, in the order they
-- were reported), as parallel arrays: one tuple header, one line pointer and one entry in each
-- block index per block instead of per version. Arrays over 2 kB are compressed by TOAST.
-- The versions stay addressable one by one: version id = block id * 65536 + position in the block
-- (so archive order is block order, then position), and the view file_version unnests the blocks
-- into the rows the readers knew, with the same columns. Conditions on run_num and directory_id
-- go down to the block indexes through the view. Searches by name, content and mtime day use GIN
-- indexes on the block arrays (the block_* columns of the view).
-- The arrays are nullable only because Prisma models cannot say otherwise: ingest always fills them.
-- Existing versions are carried over, grouped by run and directory in id order. Their ids change
-- (search cursors and version ids taken before the upgrade no longer match).

CREATE TABLE "version_block" (
    "id" BIGSERIAL NOT NULL,
    "directory_id" BIGINT NOT NULL,
    "run_num" INTEGER NOT NULL,
    "name_ids" BIGINT[],
    "content_ids" BIGINT[],
    "sizes" BIGINT[],
    "mtimes" TIMESTAMPTZ(3)[],
    "ctimes" TIMESTAMPTZ(3)[],
    "inodes" BIGINT[],
    "modes" INTEGER[],
    "types" "FileType"[],
    "deleted" BOOLEAN[],
    "symlink_targets" TEXT[],
    "mtime_days" DATE[],

    CONSTRAINT "version_block_pkey" PRIMARY KEY ("id")
);

INSERT INTO "version_block" ("directory_id", "run_num", "name_ids", "content_ids", "sizes", "mtimes", "ctimes", "inodes", "modes", "types", "deleted", "symlink_targets", "mtime_days")
SELECT x."directory_id", x."run_num",
       array_agg(x."name_id" ORDER BY x."id"), array_agg(x."content_id" ORDER BY x."id"), array_agg(x."size" ORDER BY x."id"),
       array_agg(x."mtime" ORDER BY x."id"), array_agg(x."ctime" ORDER BY x."id"), array_agg(x."inode" ORDER BY x."id"),
       array_agg(x."mode" ORDER BY x."id"), array_agg(x."type" ORDER BY x."id"), array_agg(x."deleted" ORDER BY x."id"),
       array_agg(NULLIF(x."symlink_target", '') ORDER BY x."id"), array_agg(DISTINCT (x."mtime" AT TIME ZONE 'UTC')::date)
  FROM (SELECT fv.*, (row_number() OVER (PARTITION BY fv."run_num", fv."directory_id" ORDER BY fv."id") - 1) / 1000 AS "chunk"
          FROM "file_version" fv) x
 GROUP BY x."run_num", x."directory_id", x."chunk"
 ORDER BY min(x."id");

DROP TABLE "file_version";

CREATE INDEX "version_block_directory_id_run_num_idx" ON "version_block"("directory_id", "run_num");
CREATE INDEX "version_block_run_num_idx" ON "version_block"("run_num");
CREATE INDEX "version_block_name_ids_idx" ON "version_block" USING GIN ("name_ids");
CREATE INDEX "version_block_content_ids_idx" ON "version_block" USING GIN ("content_ids");
CREATE INDEX "version_block_mtime_days_idx" ON "version_block" USING GIN ("mtime_days");

-- One row per version, as before. block_id and ord locate it in its block, the block_* columns are
-- the block arrays for conditions that should use the GIN indexes.
CREATE VIEW "file_version" AS
SELECT (b."id" << 16) + e."ord" - 1 AS "id", b."id" AS "block_id", (e."ord" - 1)::int AS "ord",
       b."directory_id", e."name_id", e."content_id", e."size", e."mtime", e."ctime", e."inode", b."run_num",
       e."mode", e."type", e."deleted", COALESCE(e."symlink_target", '') AS "symlink_target",
       b."name_ids" AS "block_name_ids", b."content_ids" AS "block_content_ids", b."mtime_days" AS "block_mtime_days"
  FROM "version_block" b
 CROSS JOIN LATERAL unnest(b."name_ids", b."content_ids", b."sizes", b."mtimes", b."ctimes", b."inodes", b."modes", b."types", b."deleted", b."symlink_targets")
       WITH ORDINALITY AS e("name_id", "content_id", "size", "mtime", "ctime", "inode", "mode", "type", "deleted", "symlink_target", "ord");
