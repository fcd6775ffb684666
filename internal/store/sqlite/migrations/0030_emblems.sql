-- Emblems: the sanitised PNG of every uploaded emblem (never the file as
-- uploaded), named by a hash of those bytes. A blob is inert until a
-- campaign names it; an upload comes before the change that names it, so
-- proposals carry the id alone. A campaign names at most one (NULL: none)
-- and may also put it in the centre of its code.
CREATE TABLE emblems (
	id         TEXT NOT NULL PRIMARY KEY,
	png        BLOB NOT NULL,
	created_at TEXT NOT NULL
) STRICT;
ALTER TABLE campaigns ADD COLUMN emblem TEXT REFERENCES emblems (id);
ALTER TABLE campaigns ADD COLUMN emblem_in_code INTEGER NOT NULL DEFAULT 0;
