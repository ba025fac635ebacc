-- (No semicolon or quote in these comments: the schema engine splits the script on semicolons.)
-- Sparse files: the object of a sparse file holds only its data extents, one after another.
-- data_map says which (JSON text, [[file offset, length], ...]), so a restore writes each at its
-- place and leaves the holes. NULL for every other placement (the object is the bytes as they are).
ALTER TABLE "placement" ADD COLUMN "data_map" TEXT;
