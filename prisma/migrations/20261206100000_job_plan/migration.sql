-- Restore plans leave the job row: the entries of a restore are written here when the job is
-- created and read by the agent page by page in tape order. New tables, nothing rewritten.
CREATE TABLE "job_plan" (
    "id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_plan_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "job_plan_item" (
    "id" BIGSERIAL NOT NULL,
    "plan_id" UUID NOT NULL,
    "barcode" TEXT NOT NULL,
    "partition" TEXT NOT NULL,
    "start_block" BIGINT NOT NULL,
    "offset" BIGINT NOT NULL,
    "item" BYTEA NOT NULL,

    CONSTRAINT "job_plan_item_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "job_plan_item_plan_id_barcode_partition_start_block_offset__idx" ON "job_plan_item"("plan_id", "barcode", "partition", "start_block", "offset", "id");

ALTER TABLE "job_plan_item" ADD CONSTRAINT "job_plan_item_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "job_plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;
