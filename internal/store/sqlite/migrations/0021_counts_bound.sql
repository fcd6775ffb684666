-- The sites counted for one campaign and day, read at every flush to keep
-- their number under the limit (the rest count as '(other)').
CREATE INDEX counts_campaign_day ON counts (campaign, day, site);
