-- The checks of one campaign over a span of days, read to draw how
-- compliance went day by day (the report's history). It covers what that
-- query reads (the id is the row id), so the table itself is not read.
CREATE INDEX checks_campaign_time ON checks (campaign, checked_at, agency_id, status);
