-- Agents certificates: one-time enrolment tokens (hash only) and the client certificates the
-- server CA issued (by fingerprint), with renewal lineage and revocation.
-- CreateTable
CREATE TABLE "agent_enrollment" (
    "id" UUID NOT NULL,
    "agent_name" TEXT NOT NULL,
    "secret_hash" BYTEA NOT NULL,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),

    CONSTRAINT "agent_enrollment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_certificate" (
    "id" UUID NOT NULL,
    "agent_name" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "serial_number" TEXT NOT NULL,
    "not_before" TIMESTAMPTZ(3) NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "enrollment_id" UUID,
    "renewed_from" UUID,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "agent_certificate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "agent_enrollment_secret_hash_key" ON "agent_enrollment"("secret_hash");

-- CreateIndex
CREATE INDEX "agent_enrollment_agent_name_idx" ON "agent_enrollment"("agent_name");

-- CreateIndex
CREATE UNIQUE INDEX "agent_certificate_fingerprint_key" ON "agent_certificate"("fingerprint");

-- CreateIndex
CREATE INDEX "agent_certificate_agent_name_idx" ON "agent_certificate"("agent_name");
