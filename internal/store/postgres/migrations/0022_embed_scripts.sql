-- Every embed script ever offered, by name, with its exact bytes: a pinned
-- /embed/{name} URL answers forever, whatever the binary or public URL.
CREATE TABLE IF NOT EXISTS embed_scripts (
	name          text PRIMARY KEY,
	body          bytea NOT NULL,
	integrity     text NOT NULL,
	first_offered timestamptz NOT NULL
);
