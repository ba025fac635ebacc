-- AlterTable
ALTER TABLE "schedule_firing" ADD COLUMN     "note" TEXT;
