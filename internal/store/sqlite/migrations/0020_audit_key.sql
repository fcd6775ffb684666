-- Keyed audit chain. Entries written so far keep their unkeyed SHA-256
-- (chain 1); from now on every entry is sealed with HMAC-SHA256 under the
-- audit key, which lives outside the database (chain 2). The store appends
-- the first keyed entry (audit.seal) in this migration's transaction: its
-- HMAC covers the last unkeyed entry, so the switch cannot be moved.
ALTER TABLE audit ADD COLUMN chain INTEGER NOT NULL DEFAULT 1 CHECK (chain IN (1, 2));
