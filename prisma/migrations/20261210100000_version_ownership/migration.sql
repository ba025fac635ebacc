-- (No semicolon or quote in these comments: the schema engine splits the script on semicolons.)
-- File ownership (issue 17 part 4). Each version keeps its owner and group numbers in two int
-- arrays of its block, element i for version i, like the other per-version columns. A uid or gid
-- is unsigned 32-bit and the arrays are int4: a number above 2147483647 keeps its 32 bits and
-- reads negative here (catalog-server/src/modules/files/ownership.ts converts both ways).
-- Versions recorded before this have NULL there (a NULL array for blocks written before), and a
-- restore of them carries no owner, so the agent keeps its own.
-- A block of one owner compresses its arrays to almost nothing (TOAST), so the cost per version
-- is small. The names stay out of the blocks: owner_name holds the name of each number once per
-- host (kind USER for uids, GROUP for gids), as the latest backup of that host resolved it
-- (resolved_at, the start of that backup, keeps a rebuild from an older tape from renaming).
CREATE TYPE "OwnerKind" AS ENUM ('USER', 'GROUP');

ALTER TABLE "version_block" ADD COLUMN "uids" INTEGER[],
ADD COLUMN "gids" INTEGER[];

CREATE TABLE "owner_name" (
    "host_id" INTEGER NOT NULL,
    "kind" "OwnerKind" NOT NULL,
    "number" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "resolved_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "owner_name_pkey" PRIMARY KEY ("host_id","kind","number")
);

ALTER TABLE "owner_name" ADD CONSTRAINT "owner_name_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Both views gain the uid and gid of each version as new last columns, so they are replaced in place.
CREATE OR REPLACE VIEW "version_slot" AS
SELECT (b."id" << 16) + e."ord" - 1 AS "id", b."id" AS "block_id", (e."ord" - 1)::int AS "ord",
       b."directory_id", e."name_id", e."content_id", e."size", e."mtime", e."ctime", e."inode", b."run_num",
       e."mode", e."type", e."deleted", COALESCE(e."symlink_target", '') AS "symlink_target",
       b."name_ids" AS "block_name_ids", b."content_ids" AS "block_content_ids", b."mtime_days" AS "block_mtime_days",
       b."content_buckets" AS "block_content_buckets", e."mtime_nanos", e."attrs", e."uid", e."gid"
  FROM "version_block" b
 CROSS JOIN LATERAL unnest(b."name_ids", b."content_ids", b."sizes", b."mtimes", b."ctimes", b."inodes", b."modes", b."types", b."deleted", b."symlink_targets", b."mtime_nanos", b."attrs", b."uids", b."gids")
       WITH ORDINALITY AS e("name_id", "content_id", "size", "mtime", "ctime", "inode", "mode", "type", "deleted", "symlink_target", "mtime_nanos", "attrs", "uid", "gid", "ord");

CREATE OR REPLACE VIEW "file_version" AS
SELECT (b."id" << 16) + e."ord" - 1 AS "id", b."id" AS "block_id", (e."ord" - 1)::int AS "ord",
       b."directory_id", e."name_id", e."content_id", e."size", e."mtime", e."ctime", e."inode", b."run_num",
       e."mode", e."type", e."deleted", COALESCE(e."symlink_target", '') AS "symlink_target",
       b."name_ids" AS "block_name_ids", b."content_ids" AS "block_content_ids", b."mtime_days" AS "block_mtime_days",
       b."content_buckets" AS "block_content_buckets", e."mtime_nanos", e."attrs", e."uid", e."gid"
  FROM "version_block" b
 CROSS JOIN LATERAL unnest(b."name_ids", b."content_ids", b."sizes", b."mtimes", b."ctimes", b."inodes", b."modes", b."types", b."deleted", b."symlink_targets", b."mtime_nanos", b."attrs", b."uids", b."gids")
       WITH ORDINALITY AS e("name_id", "content_id", "size", "mtime", "ctime", "inode", "mode", "type", "deleted", "symlink_target", "mtime_nanos", "attrs", "uid", "gid", "ord")
 WHERE e."name_id" IS NOT NULL;
