-- Admin: pinned Official Account ids, history details, rotation proposals,
-- accounts, tokens, sessions and the hash-chained audit trail.
ALTER TABLE campaigns ADD COLUMN oa_ids TEXT NOT NULL DEFAULT ''; -- comma-separated
ALTER TABLE targets ADD COLUMN kind TEXT NOT NULL DEFAULT 'rotate';
ALTER TABLE targets ADD COLUMN approver TEXT NOT NULL DEFAULT '';
UPDATE targets SET kind = 'create' WHERE version = 1;

CREATE TABLE proposals (
	id            INTEGER PRIMARY KEY,
	campaign_id   INTEGER NOT NULL REFERENCES campaigns (id),
	target        TEXT    NOT NULL,
	kind          TEXT    NOT NULL CHECK (kind IN ('rotate', 'rollback')),
	base_version  INTEGER NOT NULL,
	proposer      TEXT    NOT NULL,
	proposer_role TEXT    NOT NULL,
	run_at        TEXT,
	status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'applied', 'rejected', 'cancelled', 'failed')),
	approver      TEXT    NOT NULL DEFAULT '',
	reason        TEXT    NOT NULL DEFAULT '',
	created_at    TEXT    NOT NULL,
	decided_at    TEXT
) STRICT;
CREATE INDEX proposals_status ON proposals (status);

CREATE TABLE accounts (
	id            INTEGER PRIMARY KEY,
	name          TEXT    NOT NULL UNIQUE,
	role          TEXT    NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
	password_hash TEXT    NOT NULL,
	created_at    TEXT    NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE tokens (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	account_id   INTEGER NOT NULL REFERENCES accounts (id),
	role         TEXT    NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
	secret_hash  TEXT    NOT NULL,
	created_at   TEXT    NOT NULL,
	revoked_at   TEXT,
	last_used_at TEXT
) STRICT;

CREATE TABLE sessions (
	id_hash    TEXT    PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	csrf       TEXT    NOT NULL,
	created_at TEXT    NOT NULL,
	expires_at TEXT    NOT NULL
) STRICT;

-- The audit trail is append-only: the triggers refuse updates and deletes
-- through SQL, and the hash chain (checked by `oabadge audit verify`)
-- catches edits made to the file by other means.
CREATE TABLE audit (
	seq        INTEGER PRIMARY KEY,
	at         TEXT NOT NULL,
	actor      TEXT NOT NULL,
	role       TEXT NOT NULL,
	action     TEXT NOT NULL,
	subject    TEXT NOT NULL,
	before     TEXT NOT NULL,
	after      TEXT NOT NULL,
	ip         TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	approval   TEXT NOT NULL,
	prev_hash  TEXT NOT NULL,
	hash       TEXT NOT NULL
) STRICT;
CREATE INDEX audit_subject ON audit (subject);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

-- The chain's head, so that removing the newest entries is detected.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT    NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
