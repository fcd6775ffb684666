-- A campaign's look: the theme and layout a badge gets when the request
-- does not name one.
ALTER TABLE campaigns ADD COLUMN theme text NOT NULL DEFAULT 'light';
ALTER TABLE campaigns ADD COLUMN layout text NOT NULL DEFAULT 'badge';
