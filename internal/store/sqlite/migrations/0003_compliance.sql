-- Compliance: the agency register, counts of impressions and clicks per
-- referring site and day, and the history of homepage checks.
CREATE TABLE agencies (
	id         INTEGER PRIMARY KEY,
	key        TEXT NOT NULL UNIQUE, -- the name, NFC, case-folded: what a re-import matches on
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('department', 'unit', 'district', 'commune', 'other')),
	homepage   TEXT NOT NULL,
	host       TEXT NOT NULL, -- the homepage's host without www., matched against referring sites
	parent     TEXT NOT NULL DEFAULT '',
	contact    TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX agencies_host ON agencies (host);

-- No address, cookie or other per-person identifier: a site is the
-- scheme and host of the referring page, and only totals are kept.
CREATE TABLE counts (
	campaign TEXT    NOT NULL,
	site     TEXT    NOT NULL,
	day      TEXT    NOT NULL, -- YYYY-MM-DD in Vietnam
	event    TEXT    NOT NULL CHECK (event IN ('image', 'script', 'frame', 'click', 'scan')),
	n        INTEGER NOT NULL,
	PRIMARY KEY (campaign, site, day, event)
) STRICT, WITHOUT ROWID;
CREATE INDEX counts_day ON counts (day);

CREATE TABLE checks (
	id          INTEGER PRIMARY KEY,
	agency_id   INTEGER NOT NULL REFERENCES agencies (id),
	campaign    TEXT    NOT NULL,
	status      TEXT    NOT NULL CHECK (status IN ('embedded', 'missing', 'blocked', 'unreachable', 'http_error')),
	reason      TEXT    NOT NULL,
	fix         TEXT    NOT NULL,
	forms       TEXT    NOT NULL, -- comma-separated
	final_url   TEXT    NOT NULL,
	http_status INTEGER NOT NULL,
	checked_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX checks_agency ON checks (agency_id, campaign, checked_at);
