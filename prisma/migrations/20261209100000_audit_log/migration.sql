-- The audit log (issue 17): mutations and refused requests, append only.
-- CreateTable
CREATE TABLE "audit_event" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "operator" TEXT,
    "token_id" UUID,
    "address" TEXT,
    "operation" TEXT NOT NULL,
    "arguments" JSONB,
    "result" TEXT NOT NULL,
    "message" TEXT,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_event_at_idx" ON "audit_event"("at");

-- CreateIndex
CREATE INDEX "audit_event_operator_at_idx" ON "audit_event"("operator", "at");
