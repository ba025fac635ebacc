-- file_version and placement are the bulk tables of the file index (one row per file per backup).
-- A per-row foreign-key check costs about as much as the insert itself and ingest must sustain
-- >= 20,000 records/s, so these two tables carry no foreign keys: the files repository is their only
-- writer and stores only ids it has just read or written in the same transaction (see schema.prisma).

-- DropForeignKey
ALTER TABLE "file_version" DROP CONSTRAINT "file_version_directory_id_fkey";

-- DropForeignKey
ALTER TABLE "file_version" DROP CONSTRAINT "file_version_content_id_fkey";

-- DropForeignKey
ALTER TABLE "file_version" DROP CONSTRAINT "file_version_run_id_fkey";

-- DropForeignKey
ALTER TABLE "placement" DROP CONSTRAINT "placement_content_id_fkey";

-- DropForeignKey
ALTER TABLE "placement" DROP CONSTRAINT "placement_tape_id_fkey";

