-- Checks judge what a visitor sees, form by form: two more statuses
-- (broken, refused) and the details of the verdict as JSON.
ALTER TABLE checks DROP CONSTRAINT IF EXISTS checks_status_check;
ALTER TABLE checks ADD CONSTRAINT checks_status_check CHECK (status IN ('embedded', 'missing', 'blocked', 'broken', 'refused', 'unreachable', 'http_error'));
ALTER TABLE checks ADD COLUMN details text NOT NULL DEFAULT '{}';
