-- The checks of one campaign over a span of days, read to draw how
-- compliance went day by day (the report's history).
CREATE INDEX checks_campaign_time ON checks (campaign, checked_at);
