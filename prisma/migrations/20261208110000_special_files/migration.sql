-- (No semicolon or quote in these comments: the schema engine splits the script on semicolons.)
-- Special files: FIFOs and character and block devices are recorded (their device numbers in the
-- version's attrs JSON, see catalog-server/src/modules/files/version-attributes.ts).
ALTER TYPE "FileType" ADD VALUE IF NOT EXISTS 'FIFO';
ALTER TYPE "FileType" ADD VALUE IF NOT EXISTS 'CHAR_DEVICE';
ALTER TYPE "FileType" ADD VALUE IF NOT EXISTS 'BLOCK_DEVICE';
