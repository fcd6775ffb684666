-- Every change that alters what citizens see goes through the same rules,
-- so proposals hold any kind of change: a new campaign (which has no row
-- in campaigns until it is applied, hence the slug rather than a key), a
-- target, a rollback, an update of the fields (JSON in change), disabling
-- and enabling. Campaigns can be disabled: not served, history kept.
ALTER TABLE campaigns ADD COLUMN disabled boolean NOT NULL DEFAULT false;

ALTER TABLE proposals ADD COLUMN slug text;
UPDATE proposals p SET slug = c.slug FROM campaigns c WHERE c.id = p.campaign_id;
ALTER TABLE proposals ALTER COLUMN slug SET NOT NULL;
ALTER TABLE proposals DROP COLUMN campaign_id;
ALTER TABLE proposals ADD COLUMN change text NOT NULL DEFAULT '{}';
ALTER TABLE proposals ALTER COLUMN target SET DEFAULT '';
ALTER TABLE proposals DROP CONSTRAINT IF EXISTS proposals_kind_check;
ALTER TABLE proposals ADD CONSTRAINT proposals_kind_check CHECK (kind IN ('create', 'rotate', 'rollback', 'update', 'disable', 'enable'));
CREATE INDEX proposals_slug ON proposals (slug);
