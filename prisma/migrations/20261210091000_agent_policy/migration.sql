-- The rest of the agent policy as it last registered (shown in GraphQL, formats refused early).
-- Null and empty for agents that registered before they sent it.
-- AlterTable
ALTER TABLE "agent" ADD COLUMN     "allow_force_format" BOOLEAN,
ADD COLUMN     "allow_format" BOOLEAN,
ADD COLUMN     "allowed_backup_roots" TEXT[] DEFAULT ARRAY[]::TEXT[];
