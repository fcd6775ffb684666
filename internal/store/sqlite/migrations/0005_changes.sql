-- Which campaigns changed, in commit order, so a watching process re-reads
-- only those instead of every campaign on every commit (sign-ins, counts
-- and checks commit too). Written in the same transaction as the change;
-- slug '*' means "re-read everything" (after a load). Pruned to the newest
-- rows; a watcher that falls behind the pruning re-reads everything.
CREATE TABLE campaign_changes (
	seq  INTEGER PRIMARY KEY AUTOINCREMENT,
	slug TEXT NOT NULL
);
