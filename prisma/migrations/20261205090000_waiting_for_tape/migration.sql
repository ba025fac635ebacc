-- A backup that reached the end of a tape and has no next tape waits WAITING_FOR_TAPE, and the
-- operator request it raises asks for any writable tape of a pool for one copy, so it names no
-- barcode. Adding an enum value and nullable columns rewrites nothing.
ALTER TYPE "JobStatus" ADD VALUE 'WAITING_FOR_TAPE' AFTER 'RUNNING';
ALTER TABLE "operator_request" ALTER COLUMN "barcode" DROP NOT NULL;
ALTER TABLE "operator_request" ADD COLUMN "pool" TEXT;
ALTER TABLE "operator_request" ADD COLUMN "copy" INTEGER;
