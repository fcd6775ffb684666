-- Every embed script ever offered, by name, with its exact bytes: a pinned
-- /embed/{name} URL answers forever, whatever the binary or public URL.
CREATE TABLE IF NOT EXISTS embed_scripts (
	name          TEXT PRIMARY KEY,
	body          BLOB NOT NULL,
	integrity     TEXT NOT NULL,
	first_offered TEXT NOT NULL
);
