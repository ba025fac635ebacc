-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- Trigram matching for name globs (hand-written: Prisma does not manage extensions here).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateEnum
CREATE TYPE "DriveState" AS ENUM ('EMPTY', 'LOADED', 'MOUNTED', 'BUSY', 'NEEDS_CLEANING', 'OFFLINE');

-- CreateEnum
CREATE TYPE "DriveBackend" AS ENUM ('EMULATED', 'LTFS');

-- CreateEnum
CREATE TYPE "TapeState" AS ENUM ('SCRATCH', 'ACTIVE', 'FULL', 'SUSPECT', 'RETIRED', 'OFFSITE');

-- CreateEnum
CREATE TYPE "JobKind" AS ENUM ('FORMAT', 'BACKUP', 'RESTORE', 'VERIFY', 'INVENTORY', 'REBUILD');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('QUEUED', 'ASSIGNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'INTERRUPTED');

-- CreateEnum
CREATE TYPE "RunLevel" AS ENUM ('FULL', 'INCREMENTAL');

-- CreateEnum
CREATE TYPE "FileType" AS ENUM ('FILE', 'DIRECTORY', 'SYMLINK');

-- CreateTable
CREATE TABLE "agent" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "online" BOOLEAN NOT NULL DEFAULT false,
    "session_id" UUID,
    "last_seen_at" TIMESTAMPTZ(3),
    "allowed_restore_roots" TEXT[],
    "registered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "changer" (
    "id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "slot_count" INTEGER NOT NULL,

    CONSTRAINT "changer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "drive" (
    "id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "vendor" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "backend" "DriveBackend" NOT NULL,
    "state" "DriveState" NOT NULL DEFAULT 'EMPTY',
    "changer_id" UUID,
    "changer_drive_index" INTEGER,
    "loaded_tape_id" UUID,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "drive_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pool" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "generation" INTEGER,
    "copies" INTEGER NOT NULL DEFAULT 1,
    "retention_days" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pool_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tape" (
    "id" UUID NOT NULL,
    "barcode" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "capacity_bytes" BIGINT NOT NULL,
    "used_bytes" BIGINT NOT NULL DEFAULT 0,
    "state" "TapeState" NOT NULL DEFAULT 'SCRATCH',
    "pool_id" UUID,
    "agent_id" UUID,
    "changer_id" UUID,
    "slot" INTEGER,
    "volume_uuid" UUID,
    "formatted_at" TIMESTAMPTZ(3),
    "write_protected" BOOLEAN NOT NULL DEFAULT false,
    "index_generation" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tape_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job" (
    "id" UUID NOT NULL,
    "kind" "JobKind" NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'QUEUED',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "agent_id" UUID,
    "drive_id" UUID,
    "spec" JSONB NOT NULL,
    "progress" JSONB,
    "queue_reason" TEXT,
    "error_code" TEXT,
    "error_message" TEXT,
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "lease_owner" TEXT,
    "lease_expires_at" TIMESTAMPTZ(3),
    "idempotency_key" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_event" (
    "id" BIGSERIAL NOT NULL,
    "job_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "seq" BIGINT NOT NULL,
    "type" TEXT NOT NULL,
    "level" TEXT NOT NULL DEFAULT 'info',
    "message" TEXT NOT NULL DEFAULT '',
    "data" JSONB,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ingest_batch" (
    "job_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "batch_seq" BIGINT NOT NULL,
    "file_count" INTEGER NOT NULL,
    "manifest" TEXT NOT NULL DEFAULT '',
    "ingested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ingest_batch_pkey" PRIMARY KEY ("job_id","attempt","batch_seq")
);

-- CreateTable
CREATE TABLE "host" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "host_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run" (
    "id" UUID NOT NULL,
    "host_id" INTEGER NOT NULL,
    "root" TEXT NOT NULL,
    "level" "RunLevel" NOT NULL DEFAULT 'FULL',
    "base_run_id" UUID,
    "job_id" UUID,
    "added" INTEGER NOT NULL DEFAULT 0,
    "modified" INTEGER NOT NULL DEFAULT 0,
    "deleted" INTEGER NOT NULL DEFAULT 0,
    "unchanged" INTEGER NOT NULL DEFAULT 0,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "directory" (
    "id" BIGSERIAL NOT NULL,
    "host_id" INTEGER NOT NULL,
    "parent_id" BIGINT,
    "name" TEXT NOT NULL,
    "path" TEXT NOT NULL,

    CONSTRAINT "directory_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "file_version" (
    "id" BIGSERIAL NOT NULL,
    "directory_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "type" "FileType" NOT NULL,
    "size" BIGINT NOT NULL,
    "mtime" TIMESTAMPTZ(3) NOT NULL,
    "ctime" TIMESTAMPTZ(3),
    "inode" BIGINT,
    "mode" INTEGER NOT NULL,
    "content_id" BIGINT,
    "symlink_target" TEXT,
    "run_id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "archived_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "file_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "content" (
    "id" BIGSERIAL NOT NULL,
    "sha256" BYTEA NOT NULL,
    "size" BIGINT NOT NULL,

    CONSTRAINT "content_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "placement" (
    "id" BIGSERIAL NOT NULL,
    "content_id" BIGINT NOT NULL,
    "tape_id" UUID NOT NULL,
    "partition" CHAR(1) NOT NULL,
    "start_block" BIGINT NOT NULL,
    "container_path" TEXT NOT NULL,
    "offset" BIGINT NOT NULL,
    "length" BIGINT NOT NULL,
    "segment" INTEGER NOT NULL DEFAULT 0,
    "file_offset" BIGINT NOT NULL DEFAULT 0,
    "copy" INTEGER NOT NULL DEFAULT 1,
    "job_id" UUID NOT NULL,

    CONSTRAINT "placement_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "agent_name_key" ON "agent"("name");

-- CreateIndex
CREATE UNIQUE INDEX "changer_agent_id_name_key" ON "changer"("agent_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "drive_loaded_tape_id_key" ON "drive"("loaded_tape_id");

-- CreateIndex
CREATE UNIQUE INDEX "drive_agent_id_name_key" ON "drive"("agent_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "pool_name_key" ON "pool"("name");

-- CreateIndex
CREATE UNIQUE INDEX "tape_barcode_key" ON "tape"("barcode");

-- CreateIndex
CREATE UNIQUE INDEX "job_idempotency_key_key" ON "job"("idempotency_key");

-- CreateIndex
CREATE INDEX "job_status_priority_created_at_idx" ON "job"("status", "priority", "created_at");

-- CreateIndex
CREATE INDEX "job_agent_id_status_idx" ON "job"("agent_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "job_event_job_id_attempt_seq_key" ON "job_event"("job_id", "attempt", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "host_name_key" ON "host"("name");

-- CreateIndex
CREATE INDEX "run_host_id_started_at_idx" ON "run"("host_id", "started_at");

-- CreateIndex
CREATE INDEX "directory_parent_id_name_idx" ON "directory"("parent_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "directory_host_id_path_key" ON "directory"("host_id", "path");

-- CreateIndex
CREATE INDEX "file_version_directory_id_name_idx" ON "file_version"("directory_id", "name");

-- CreateIndex
CREATE INDEX "file_version_content_id_idx" ON "file_version"("content_id");

-- CreateIndex
CREATE INDEX "file_version_mtime_idx" ON "file_version"("mtime");

-- CreateIndex
CREATE INDEX "file_version_name_trgm" ON "file_version" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "file_version_run_id_directory_id_name_key" ON "file_version"("run_id", "directory_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "content_sha256_key" ON "content"("sha256");

-- CreateIndex
CREATE INDEX "placement_tape_id_start_block_idx" ON "placement"("tape_id", "start_block");

-- CreateIndex
CREATE UNIQUE INDEX "placement_content_id_tape_id_segment_container_path_offset_key" ON "placement"("content_id", "tape_id", "segment", "container_path", "offset");

-- AddForeignKey
ALTER TABLE "changer" ADD CONSTRAINT "changer_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "drive" ADD CONSTRAINT "drive_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "drive" ADD CONSTRAINT "drive_changer_id_fkey" FOREIGN KEY ("changer_id") REFERENCES "changer"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "drive" ADD CONSTRAINT "drive_loaded_tape_id_fkey" FOREIGN KEY ("loaded_tape_id") REFERENCES "tape"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tape" ADD CONSTRAINT "tape_pool_id_fkey" FOREIGN KEY ("pool_id") REFERENCES "pool"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tape" ADD CONSTRAINT "tape_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tape" ADD CONSTRAINT "tape_changer_id_fkey" FOREIGN KEY ("changer_id") REFERENCES "changer"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job" ADD CONSTRAINT "job_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job" ADD CONSTRAINT "job_drive_id_fkey" FOREIGN KEY ("drive_id") REFERENCES "drive"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_event" ADD CONSTRAINT "job_event_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "job"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "directory" ADD CONSTRAINT "directory_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "directory" ADD CONSTRAINT "directory_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "directory"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "file_version" ADD CONSTRAINT "file_version_directory_id_fkey" FOREIGN KEY ("directory_id") REFERENCES "directory"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "file_version" ADD CONSTRAINT "file_version_content_id_fkey" FOREIGN KEY ("content_id") REFERENCES "content"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "file_version" ADD CONSTRAINT "file_version_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "placement" ADD CONSTRAINT "placement_content_id_fkey" FOREIGN KEY ("content_id") REFERENCES "content"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "placement" ADD CONSTRAINT "placement_tape_id_fkey" FOREIGN KEY ("tape_id") REFERENCES "tape"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Path-prefix search over directories (hand-written: Prisma cannot declare text_pattern_ops on btree).
CREATE INDEX "directory_path_prefix" ON "directory" ("host_id", "path" text_pattern_ops);
