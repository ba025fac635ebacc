-- The SHA-256 of one segment of a file that spans tapes (32 bytes), so a verify of one tape can check
-- the piece that tape holds and a restore can tell which piece was damaged. NULL for a content stored
-- in one piece (the content sha256 describes it) and for segments written before agents sent segment
-- hashes (a verify still leaves those out). Adding a nullable column without a default rewrites nothing.
ALTER TABLE "placement" ADD COLUMN "segment_sha256" BYTEA;
