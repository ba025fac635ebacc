-- CreateEnum
CREATE TYPE "OperatorRequestStatus" AS ENUM ('OPEN', 'SATISFIED', 'CANCELLED');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "JobKind" ADD VALUE 'LOAD';
ALTER TYPE "JobKind" ADD VALUE 'UNLOAD';
ALTER TYPE "JobKind" ADD VALUE 'MOVE';
ALTER TYPE "JobKind" ADD VALUE 'CHECK';
ALTER TYPE "JobKind" ADD VALUE 'CLEAN';

-- AlterTable
ALTER TABLE "drive" ADD COLUMN     "alerts" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "tape" ADD COLUMN     "alerts" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "cleaning" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "last_check_result" TEXT,
ADD COLUMN     "last_checked_at" TIMESTAMPTZ(3),
ADD COLUMN     "offsite_location" TEXT,
ADD COLUMN     "worm" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "operator_request" (
    "id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "barcode" TEXT NOT NULL,
    "agent_id" UUID NOT NULL,
    "changer_name" TEXT,
    "message" TEXT NOT NULL,
    "status" "OperatorRequestStatus" NOT NULL DEFAULT 'OPEN',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "operator_request_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "operator_request_status_barcode_idx" ON "operator_request"("status", "barcode");

-- CreateIndex
CREATE INDEX "operator_request_job_id_idx" ON "operator_request"("job_id");
