-- The whole schema, as the SQLite store's migrations build it, in
-- PostgreSQL's types. Times are timestamptz (microseconds).
CREATE TABLE campaigns (
	id         bigserial   PRIMARY KEY,
	slug       text        NOT NULL UNIQUE,
	title      text        NOT NULL,
	caption    text        NOT NULL,
	qr_mode    text        NOT NULL CHECK (qr_mode IN ('direct', 'redirect')),
	target     text        NOT NULL,
	version    bigint      NOT NULL CHECK (version >= 1),
	oa_ids     text        NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE targets (
	campaign_id bigint      NOT NULL REFERENCES campaigns (id),
	version     bigint      NOT NULL,
	target      text        NOT NULL,
	actor       text        NOT NULL,
	created_at  timestamptz NOT NULL,
	kind        text        NOT NULL DEFAULT 'rotate',
	approver    text        NOT NULL DEFAULT '',
	PRIMARY KEY (campaign_id, version)
);

CREATE TABLE proposals (
	id            bigserial   PRIMARY KEY,
	campaign_id   bigint      NOT NULL REFERENCES campaigns (id),
	target        text        NOT NULL,
	kind          text        NOT NULL CHECK (kind IN ('rotate', 'rollback')),
	base_version  bigint      NOT NULL,
	proposer      text        NOT NULL,
	proposer_role text        NOT NULL,
	run_at        timestamptz,
	status        text        NOT NULL CHECK (status IN ('pending', 'approved', 'applied', 'rejected', 'cancelled', 'failed')),
	approver      text        NOT NULL DEFAULT '',
	reason        text        NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL,
	decided_at    timestamptz
);
CREATE INDEX proposals_status ON proposals (status);

CREATE TABLE accounts (
	id            bigserial   PRIMARY KEY,
	name          text        NOT NULL UNIQUE,
	role          text        NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
	password_hash text        NOT NULL,
	created_at    timestamptz NOT NULL,
	disabled      boolean     NOT NULL DEFAULT false
);

CREATE TABLE tokens (
	id           text        PRIMARY KEY,
	name         text        NOT NULL,
	account_id   bigint      NOT NULL REFERENCES accounts (id),
	role         text        NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
	secret_hash  text        NOT NULL,
	created_at   timestamptz NOT NULL,
	revoked_at   timestamptz,
	last_used_at timestamptz
);

CREATE TABLE sessions (
	id_hash    text        PRIMARY KEY,
	account_id bigint      NOT NULL REFERENCES accounts (id),
	csrf       text        NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);

CREATE TABLE audit (
	seq        bigint      PRIMARY KEY,
	at         timestamptz NOT NULL,
	actor      text        NOT NULL,
	role       text        NOT NULL,
	action     text        NOT NULL,
	subject    text        NOT NULL,
	before     text        NOT NULL,
	after      text        NOT NULL,
	ip         text        NOT NULL,
	user_agent text        NOT NULL,
	approval   text        NOT NULL,
	prev_hash  text        NOT NULL,
	hash       text        NOT NULL
);
CREATE INDEX audit_subject ON audit (subject);

-- Append-only: updates and deletes through SQL are refused; the hash
-- chain catches edits made around these rules.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the audit trail is append-only';
END $$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();

CREATE TABLE audit_head (
	id   integer PRIMARY KEY CHECK (id = 1),
	seq  bigint  NOT NULL,
	hash text    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE agencies (
	id         bigserial   PRIMARY KEY,
	key        text        NOT NULL UNIQUE,
	name       text        NOT NULL,
	kind       text        NOT NULL CHECK (kind IN ('department', 'unit', 'district', 'commune', 'other')),
	homepage   text        NOT NULL,
	host       text        NOT NULL,
	parent     text        NOT NULL DEFAULT '',
	contact    text        NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);
CREATE INDEX agencies_host ON agencies (host);

CREATE TABLE counts (
	campaign text   NOT NULL,
	site     text   NOT NULL,
	day      text   NOT NULL,
	event    text   NOT NULL CHECK (event IN ('image', 'script', 'frame', 'click', 'scan')),
	n        bigint NOT NULL,
	PRIMARY KEY (campaign, site, day, event)
);
CREATE INDEX counts_day ON counts (day);

CREATE TABLE checks (
	id          bigserial   PRIMARY KEY,
	agency_id   bigint      NOT NULL REFERENCES agencies (id),
	campaign    text        NOT NULL,
	status      text        NOT NULL CHECK (status IN ('embedded', 'missing', 'blocked', 'unreachable', 'http_error')),
	reason      text        NOT NULL,
	fix         text        NOT NULL,
	forms       text        NOT NULL,
	final_url   text        NOT NULL,
	http_status integer     NOT NULL,
	checked_at  timestamptz NOT NULL
);
CREATE INDEX checks_agency ON checks (agency_id, campaign, checked_at);
