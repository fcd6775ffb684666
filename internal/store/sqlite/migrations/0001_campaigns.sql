-- Campaigns and the full history of their targets. Times are RFC 3339 UTC
-- text with nanoseconds, which sorts as it reads.
CREATE TABLE campaigns (
	id         INTEGER PRIMARY KEY,
	slug       TEXT    NOT NULL UNIQUE,
	title      TEXT    NOT NULL,
	caption    TEXT    NOT NULL,
	qr_mode    TEXT    NOT NULL CHECK (qr_mode IN ('direct', 'redirect')),
	target     TEXT    NOT NULL,
	version    INTEGER NOT NULL CHECK (version >= 1),
	created_at TEXT    NOT NULL,
	updated_at TEXT    NOT NULL
) STRICT;

CREATE TABLE targets (
	campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
	version     INTEGER NOT NULL,
	target      TEXT    NOT NULL,
	actor       TEXT    NOT NULL,
	created_at  TEXT    NOT NULL,
	PRIMARY KEY (campaign_id, version)
) STRICT;
