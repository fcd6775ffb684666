-- A campaign's look: the theme and layout a badge gets when the request
-- does not name one.
ALTER TABLE campaigns ADD COLUMN theme TEXT NOT NULL DEFAULT 'light';
ALTER TABLE campaigns ADD COLUMN layout TEXT NOT NULL DEFAULT 'badge';
