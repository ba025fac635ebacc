-- AlterTable
ALTER TABLE "tape" ADD COLUMN     "last_agent_id" UUID;

-- AddForeignKey
ALTER TABLE "tape" ADD CONSTRAINT "tape_last_agent_id_fkey" FOREIGN KEY ("last_agent_id") REFERENCES "agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;
