-- What the last verify job found on a tape, and the state a failed verify took it out of (so a later
-- verify of the whole tape that passes can put it back).
ALTER TABLE "tape" ADD COLUMN "last_verified_at" TIMESTAMPTZ(3),
ADD COLUMN "last_verify_result" TEXT,
ADD COLUMN "state_before_suspect" "TapeState";
