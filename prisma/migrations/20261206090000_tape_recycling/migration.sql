-- Recycling reuses tapes: a tape retention returns to scratch is marked as awaiting a format (its
-- volume still holds the expired runs), and remembers when it was recycled. No backup takes a tape
-- awaiting a format. Both columns are added with constant defaults, which rewrites nothing.
ALTER TABLE "tape" ADD COLUMN "recycled_at" TIMESTAMPTZ(3),
ADD COLUMN "reformat_pending" BOOLEAN NOT NULL DEFAULT false;
