-- Every change that alters what citizens see goes through the same rules,
-- so proposals hold any kind of change: a new campaign (which has no row
-- in campaigns until it is applied, hence the slug rather than a key), a
-- target, a rollback, an update of the fields (JSON in change), disabling
-- and enabling. Campaigns can be disabled: not served, history kept.
ALTER TABLE campaigns ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;

CREATE TABLE proposals_new (
	id            INTEGER PRIMARY KEY,
	slug          TEXT    NOT NULL,
	kind          TEXT    NOT NULL CHECK (kind IN ('create', 'rotate', 'rollback', 'update', 'disable', 'enable')),
	target        TEXT    NOT NULL DEFAULT '',
	change        TEXT    NOT NULL DEFAULT '{}',
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
INSERT INTO proposals_new (id, slug, kind, target, base_version, proposer, proposer_role, run_at, status, approver, reason, created_at, decided_at)
	SELECT p.id, c.slug, p.kind, p.target, p.base_version, p.proposer, p.proposer_role, p.run_at, p.status, p.approver, p.reason, p.created_at, p.decided_at
	FROM proposals p JOIN campaigns c ON c.id = p.campaign_id;
DROP TABLE proposals;
ALTER TABLE proposals_new RENAME TO proposals;
CREATE INDEX proposals_status ON proposals (status);
CREATE INDEX proposals_slug ON proposals (slug);
