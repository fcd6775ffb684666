-- Accounts: a second factor (TOTP secret, the last step used, hashes of
-- the unused recovery codes), and a role waiting for a second admin's
-- approval (a new admin account, or a raise), with who asked for it.
ALTER TABLE accounts ADD COLUMN totp_secret text NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false;
ALTER TABLE accounts ADD COLUMN totp_step bigint NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN recovery text NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN pending_role text NOT NULL DEFAULT '' CHECK (pending_role IN ('', 'viewer', 'editor', 'admin'));
ALTER TABLE accounts ADD COLUMN pending_by text NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN pending_create boolean NOT NULL DEFAULT false;
