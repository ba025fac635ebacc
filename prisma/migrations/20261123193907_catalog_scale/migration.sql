-- Catalog at scale (issue 4): entry names move out of file_version into file_name, one row per
-- distinct name, and the trigram index moves with them. A live trigram index on every version made
-- each ingested row cost a GIN update, on file_name only a name never seen before does, and a glob is
-- matched once per distinct name instead of once per version.
--
-- Hand-edited from the generated diff: Prisma would drop file_version.name and add a NOT NULL
-- name_id in one step, which fails (or loses every name) on a catalog that holds rows. The names are
-- carried over instead: file_name is filled from the existing versions, name_id is set from it, and
-- only then is the old column dropped.

-- CreateTable
CREATE TABLE "file_name" (
    "id" BIGSERIAL NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "file_name_pkey" PRIMARY KEY ("id")
);

-- Data: every name the catalog already holds.
INSERT INTO "file_name" ("name") SELECT DISTINCT "name" FROM "file_version" ORDER BY 1;

-- CreateIndex
CREATE UNIQUE INDEX "file_name_name_key" ON "file_name"("name");

-- CreateIndex
CREATE INDEX "file_name_name_trgm" ON "file_name" USING GIN ("name" gin_trgm_ops);

-- AlterTable (in three steps so existing rows keep their names, see above)
ALTER TABLE "file_version" ADD COLUMN "name_id" BIGINT;
UPDATE "file_version" fv SET "name_id" = n."id" FROM "file_name" n WHERE n."name" = fv."name";
ALTER TABLE "file_version" ALTER COLUMN "name_id" SET NOT NULL;

-- DropIndex
DROP INDEX "file_version_directory_id_name_idx";

-- DropIndex
DROP INDEX "file_version_name_trgm";

-- DropIndex
DROP INDEX "file_version_run_id_directory_id_name_key";

ALTER TABLE "file_version" DROP COLUMN "name";

-- CreateIndex
CREATE INDEX "file_version_name_id_idx" ON "file_version"("name_id");

-- CreateIndex (the old unique index led with run_id, this one serves lookups by run)
CREATE INDEX "file_version_run_id_idx" ON "file_version"("run_id");

-- CreateIndex
CREATE UNIQUE INDEX "file_version_dir_name_run_key" ON "file_version"("directory_id", "name_id", "run_id");

-- A placement's identity: (content, tape, segment, start block, offset). The start block names one
-- object on one tape, so it identifies the container as well as its path did, and the unique index
-- no longer repeats every container path (about half of this index's size, and of its insert cost).
DROP INDEX "placement_content_id_tape_id_segment_container_path_offset_key";

-- CreateIndex
CREATE UNIQUE INDEX "placement_content_tape_segment_block_offset_key" ON "placement"("content_id", "tape_id", "segment", "start_block", "offset");
