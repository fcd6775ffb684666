-- Checks judge what a visitor sees, form by form: two more statuses
-- (broken: our markup is there but a resource fails; refused: the address
-- is not public), and the details of the verdict (where to paste the fix,
-- NukeViet's boxes, the findings per form, the CMS, the render's
-- screenshot) as JSON.
CREATE TABLE checks_new (
	id          INTEGER PRIMARY KEY,
	agency_id   INTEGER NOT NULL REFERENCES agencies (id),
	campaign    TEXT    NOT NULL,
	status      TEXT    NOT NULL CHECK (status IN ('embedded', 'missing', 'blocked', 'broken', 'refused', 'unreachable', 'http_error')),
	reason      TEXT    NOT NULL,
	fix         TEXT    NOT NULL,
	forms       TEXT    NOT NULL, -- comma-separated
	final_url   TEXT    NOT NULL,
	http_status INTEGER NOT NULL,
	checked_at  TEXT    NOT NULL,
	details     TEXT    NOT NULL DEFAULT '{}'
) STRICT;
INSERT INTO checks_new (id, agency_id, campaign, status, reason, fix, forms, final_url, http_status, checked_at)
	SELECT id, agency_id, campaign, status, reason, fix, forms, final_url, http_status, checked_at FROM checks;
DROP TABLE checks;
ALTER TABLE checks_new RENAME TO checks;
CREATE INDEX checks_agency ON checks (agency_id, campaign, checked_at);
