-- Accounts: a second factor (TOTP secret, the last step used, hashes of
-- the unused recovery codes), and a role waiting for a second admin's
-- approval (a new admin account, or a raise), with who asked for it.
ALTER TABLE accounts ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN totp_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN recovery TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN pending_role TEXT NOT NULL DEFAULT '' CHECK (pending_role IN ('', 'viewer', 'editor', 'admin'));
ALTER TABLE accounts ADD COLUMN pending_by TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN pending_create INTEGER NOT NULL DEFAULT 0;
