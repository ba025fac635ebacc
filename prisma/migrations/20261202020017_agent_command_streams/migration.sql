-- CreateTable
CREATE TABLE "agent_command_stream" (
    "agent_id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "replica_id" TEXT NOT NULL,
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_command_stream_pkey" PRIMARY KEY ("agent_id")
);

-- CreateIndex
CREATE INDEX "agent_command_stream_replica_id_idx" ON "agent_command_stream"("replica_id");
