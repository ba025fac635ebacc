-- (No semicolon or quote in these comments: the schema engine splits the script on semicolons.)
-- Narrower file index (issue 4, bytes per file version). file_version and placement are rebuilt
-- rather than altered: ALTER TABLE ... DROP COLUMN only hides a column (every row keeps its bytes,
-- and new rows still carry it in their null bitmap), and column order, which decides alignment
-- padding, can only be chosen by creating the table. Existing rows are carried over with their ids.
-- On a large catalog this rewrites both tables and rebuilds their indexes at the first start of the
-- new server (minutes per tens of millions of versions), during which the catalog is locked.
--
-- file_version:
--   * run_id (uuid, 16 bytes) becomes run_num (int, 4 bytes): run.num is a new int surrogate.
--   * job_id is gone: it is the job of the run (run.job_id), and archived_at is gone: it is the start of the run.
--   * symlink_target is the empty string when there is none (a symlink never has an empty target), so an ordinary
--     row has no NULL and no null bitmap: a 24-byte tuple header instead of 32.
--   * 8-byte columns first, then 4-byte ones, then the 1-byte and variable ones: no padding.
--   * mtime is indexed by its UTC day, not to the millisecond: files modified on the same day share
--     one deduplicated b-tree entry (a few bytes per version instead of ~28). A modified range
--     searches the days it spans and checks the exact times on those rows. BRIN would not help:
--     mtime is not correlated with the order rows are written in.
-- placement:
--   * no id: the identity (content, tape, start block, offset) is the primary key. The segment is
--     not part of it: two segments of one content cannot start at the same place on one tape.
--   * the tape index is on tape_id alone (b-tree deduplication: a few bytes per row). Nothing reads
--     the placements of a tape in start-block order from SQL.

-- Run surrogate (fills existing rows).
ALTER TABLE "run" ADD COLUMN "num" SERIAL NOT NULL;
CREATE UNIQUE INDEX "run_num_key" ON "run"("num");

-- file_version
ALTER TABLE "file_version" RENAME TO "file_version_old";
ALTER TABLE "file_version_old" DROP CONSTRAINT "file_version_pkey";
DROP INDEX "file_version_dir_name_run_key";
DROP INDEX "file_version_run_id_idx";
DROP INDEX "file_version_name_id_idx";
DROP INDEX "file_version_content_id_idx";
DROP INDEX "file_version_mtime_idx";

CREATE TABLE "file_version" (
    "id" BIGINT NOT NULL DEFAULT nextval('file_version_id_seq'),
    "directory_id" BIGINT NOT NULL,
    "name_id" BIGINT NOT NULL,
    "content_id" BIGINT,
    "size" BIGINT NOT NULL,
    "mtime" TIMESTAMPTZ(3) NOT NULL,
    "ctime" TIMESTAMPTZ(3),
    "inode" BIGINT,
    "run_num" INTEGER NOT NULL,
    "mode" INTEGER NOT NULL,
    "type" "FileType" NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "symlink_target" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "file_version_pkey" PRIMARY KEY ("id")
);

INSERT INTO "file_version" ("id", "directory_id", "name_id", "content_id", "size", "mtime", "ctime", "inode", "run_num", "mode", "type", "deleted", "symlink_target")
SELECT fv."id", fv."directory_id", fv."name_id", fv."content_id", fv."size", fv."mtime", fv."ctime", fv."inode", r."num", fv."mode", fv."type", fv."deleted",
       COALESCE(fv."symlink_target", '')
  FROM "file_version_old" fv JOIN "run" r ON r."id" = fv."run_id"
 ORDER BY fv."id";

ALTER SEQUENCE "file_version_id_seq" OWNED BY "file_version"."id";
DROP TABLE "file_version_old";

CREATE UNIQUE INDEX "file_version_dir_name_run_key" ON "file_version"("directory_id", "name_id", "run_num");
CREATE INDEX "file_version_run_num_idx" ON "file_version"("run_num");
CREATE INDEX "file_version_name_id_idx" ON "file_version"("name_id");
CREATE INDEX "file_version_content_id_idx" ON "file_version"("content_id");
-- Not in schema.prisma (Prisma cannot express an index on an expression), like directory_path_prefix.
CREATE INDEX "file_version_mtime_day_idx" ON "file_version" ((("mtime" AT TIME ZONE 'UTC')::date));

-- placement
ALTER TABLE "placement" RENAME TO "placement_old";
ALTER TABLE "placement_old" DROP CONSTRAINT "placement_pkey";
DROP INDEX "placement_content_tape_segment_block_offset_key";
DROP INDEX "placement_tape_id_start_block_idx";

CREATE TABLE "placement" (
    "content_id" BIGINT NOT NULL,
    "start_block" BIGINT NOT NULL,
    "offset" BIGINT NOT NULL,
    "length" BIGINT NOT NULL,
    "file_offset" BIGINT NOT NULL DEFAULT 0,
    "tape_id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "segment" INTEGER NOT NULL DEFAULT 0,
    "copy" INTEGER NOT NULL DEFAULT 1,
    "partition" CHAR(1) NOT NULL,
    "container_path" TEXT NOT NULL,

    CONSTRAINT "placement_pkey" PRIMARY KEY ("content_id", "tape_id", "start_block", "offset")
);

-- The old key also had the segment. Rows it kept apart that the new one would not (impossible on a
-- real tape) keep their lowest segment.
INSERT INTO "placement" ("content_id", "start_block", "offset", "length", "file_offset", "tape_id", "job_id", "segment", "copy", "partition", "container_path")
SELECT DISTINCT ON ("content_id", "tape_id", "start_block", "offset")
       "content_id", "start_block", "offset", "length", "file_offset", "tape_id", "job_id", "segment", "copy", "partition", "container_path"
  FROM "placement_old"
 ORDER BY "content_id", "tape_id", "start_block", "offset", "segment", "id";

DROP TABLE "placement_old";

CREATE INDEX "placement_tape_id_idx" ON "placement"("tape_id");
