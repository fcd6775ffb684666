package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/store"
)

const agencyColumns = "id, name, kind, homepage, parent, contact, created_at, updated_at"

func scanAgency(r pgx.Row) (compliance.Agency, error) {
	var a compliance.Agency
	var kind string
	err := r.Scan(&a.ID, &a.Name, &kind, &a.Homepage, &a.Parent, &a.Contact, &a.CreatedAt, &a.UpdatedAt)
	a.Kind, a.CreatedAt, a.UpdatedAt = compliance.Kind(kind), utc(a.CreatedAt), utc(a.UpdatedAt)
	return a, err
}

// ImportAgencies implements compliance.Store.
func (s *Store) ImportAgencies(ctx context.Context, as []compliance.Agency, at time.Time, by audit.Actor) (int, int, error) {
	var created, updated int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		created, updated = 0, 0
		// One import at a time: the parent check reads the whole register.
		if _, err := tx.Exec(ctx, "LOCK TABLE agencies IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return err
		}
		existing := map[string]bool{}
		rows, err := tx.Query(ctx, "SELECT key FROM agencies")
		if err != nil {
			return err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			existing[k] = true
		}
		rows.Close()
		known := map[string]bool{}
		for k := range existing {
			known[k] = true
		}
		for _, a := range as {
			known[compliance.Key(a.Name)] = true
		}
		var bad []compliance.RowError
		for _, a := range as {
			if a.Parent != "" && !known[compliance.Key(a.Parent)] {
				bad = append(bad, compliance.RowError{Line: a.Line, Reason: fmt.Sprintf("parent %q is neither in the file nor in the register", a.Parent)})
			}
		}
		if len(bad) > 0 {
			return &compliance.ImportError{Rows: bad}
		}
		for _, a := range as {
			tag, err := tx.Exec(ctx, `INSERT INTO agencies (key, name, kind, homepage, host, parent, contact, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
				ON CONFLICT (key) DO UPDATE SET name = excluded.name, kind = excluded.kind, homepage = excluded.homepage,
					host = excluded.host, parent = excluded.parent, contact = excluded.contact, updated_at = excluded.updated_at
				WHERE (agencies.name, agencies.kind, agencies.homepage, agencies.parent, agencies.contact)
					IS DISTINCT FROM (excluded.name, excluded.kind, excluded.homepage, excluded.parent, excluded.contact)`,
				compliance.Key(a.Name), a.Name, string(a.Kind), a.Homepage, a.Host(), a.Parent, a.Contact, at)
			if err != nil {
				return err
			}
			switch {
			case tag.RowsAffected() == 0:
			case existing[compliance.Key(a.Name)]:
				updated++
			default:
				created++
			}
		}
		e := audit.New(by, "agency.import", "agencies", nil, map[string]any{"rows": len(as), "created": created, "updated": updated})
		e.At = at
		return s.appendAudit(ctx, tx, e)
	})
	var ie *compliance.ImportError
	if errors.As(err, &ie) {
		return 0, 0, ie
	}
	return created, updated, err
}

// Agencies implements compliance.Store.
func (s *Store) Agencies(ctx context.Context) ([]compliance.Agency, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+agencyColumns+" FROM agencies ORDER BY kind, name")
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []compliance.Agency
	for rows.Next() {
		a, err := scanAgency(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, classify(rows.Err())
}

// Agency implements compliance.Store.
func (s *Store) Agency(ctx context.Context, id int64) (compliance.Agency, error) {
	a, err := scanAgency(s.pool.QueryRow(ctx, "SELECT "+agencyColumns+" FROM agencies WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, apperr.NotFoundf("no agency %d", id)
	}
	return a, classify(err)
}

// AddCounts implements compliance.CountStore, in one batch round trip.
// Flushes from every replica take one advisory lock in turn, so two cannot
// both see room for the last site of a campaign and day.
func (s *Store) AddCounts(ctx context.Context, cs []compliance.Count, maxSites int) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7261002)"); err != nil {
			return err
		}
		stored := func(campaign, day string) (int, error) {
			var n int
			err := tx.QueryRow(ctx, "SELECT count(DISTINCT site) FROM counts WHERE campaign = $1 AND day = $2 AND site <> $3",
				campaign, day, compliance.OtherSite).Scan(&n)
			return n, err
		}
		list := func(campaign, day string) (map[string]bool, error) {
			rows, err := tx.Query(ctx, "SELECT DISTINCT site FROM counts WHERE campaign = $1 AND day = $2 AND site <> $3",
				campaign, day, compliance.OtherSite)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			out := map[string]bool{}
			for rows.Next() {
				var site string
				if err := rows.Scan(&site); err != nil {
					return nil, err
				}
				out[site] = true
			}
			return out, rows.Err()
		}
		cs, err := compliance.BoundSites(cs, maxSites, stored, list)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, c := range cs {
			b.Queue(`INSERT INTO counts (campaign, site, day, event, n) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (campaign, site, day, event) DO UPDATE SET n = counts.n + excluded.n`, c.Campaign, c.Site, c.Day, c.Event.String(), c.N)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// siteTotals sums a campaign's counts per site; its parameters are day7,
// the campaign and day30. The SQLite store's is the same.
const siteTotals = `SELECT site,
	coalesce(sum(CASE WHEN event IN ('image', 'script', 'frame') AND day >= $1 THEN n END), 0)::bigint,
	coalesce(sum(CASE WHEN event IN ('image', 'script', 'frame') THEN n END), 0)::bigint,
	coalesce(sum(CASE WHEN event NOT IN ('image', 'script', 'frame') AND day >= $1 THEN n END), 0)::bigint,
	coalesce(sum(CASE WHEN event NOT IN ('image', 'script', 'frame') THEN n END), 0)::bigint,
	coalesce(max(CASE WHEN event IN ('image', 'script', 'frame') THEN day END), ''),
	max(day)
	FROM counts WHERE campaign IN ($2, '') AND day >= $3 GROUP BY site`

// SiteTotals implements compliance.Store.
func (s *Store) SiteTotals(ctx context.Context, campaign, day7, day30 string, fn func(compliance.SiteTotal) error) error {
	rows, err := s.pool.Query(ctx, siteTotals, day7, campaign, day30)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var t compliance.SiteTotal
		if err := rows.Scan(&t.Site, &t.Impressions[0], &t.Impressions[1], &t.Clicks[0], &t.Clicks[1], &t.LastSeen, &t.LastAny); err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	return classify(rows.Err())
}

// Counts implements compliance.Store.
func (s *Store) Counts(ctx context.Context, sinceDay string) ([]compliance.Count, error) {
	rows, err := s.pool.Query(ctx, "SELECT campaign, site, day, event, n FROM counts WHERE day >= $1 ORDER BY day", sinceDay)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []compliance.Count
	for rows.Next() {
		var c compliance.Count
		var ev string
		if err := rows.Scan(&c.Campaign, &c.Site, &c.Day, &ev, &c.N); err != nil {
			return nil, err
		}
		c.Event, _ = compliance.ParseEvent(ev)
		out = append(out, c)
	}
	return out, classify(rows.Err())
}

// SaveResults implements compliance.Store.
func (s *Store) SaveResults(ctx context.Context, rs []compliance.Result) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range rs {
			b.Queue(`INSERT INTO checks (agency_id, campaign, status, reason, fix, forms, final_url, http_status, checked_at, details)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, r.AgencyID, r.Campaign, r.Status, r.Reason, r.Fix, store.FormsColumn(r.Forms), r.FinalURL, r.HTTP, r.CheckedAt, store.DetailsColumn(r))
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

const resultColumns = "k.agency_id, a.name, a.homepage, k.campaign, k.status, k.reason, k.fix, k.forms, k.final_url, k.http_status, k.checked_at, k.details"

func scanResult(r pgx.Row) (compliance.Result, error) {
	var x compliance.Result
	var forms, details string
	if err := r.Scan(&x.AgencyID, &x.Agency, &x.Homepage, &x.Campaign, &x.Status, &x.Reason, &x.Fix, &forms, &x.FinalURL, &x.HTTP, &x.CheckedAt, &details); err != nil {
		return x, err
	}
	x.Forms = store.ParseForms(forms)
	x.CheckedAt = utc(x.CheckedAt)
	return x, store.ParseDetails(details, &x)
}

func (s *Store) results(ctx context.Context, q string, args ...any) ([]compliance.Result, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []compliance.Result
	for rows.Next() {
		r, err := scanResult(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, classify(rows.Err())
}

// LatestResults implements compliance.Store.
func (s *Store) LatestResults(ctx context.Context) ([]compliance.Result, error) {
	return s.results(ctx, `SELECT DISTINCT ON (k.agency_id, k.campaign) `+resultColumns+`
		FROM checks k JOIN agencies a ON a.id = k.agency_id ORDER BY k.agency_id, k.campaign, k.id DESC`)
}

// AgencyResults implements compliance.Store.
func (s *Store) AgencyResults(ctx context.Context, agencyID int64, limit int) ([]compliance.Result, error) {
	return s.results(ctx, "SELECT "+resultColumns+" FROM checks k JOIN agencies a ON a.id = k.agency_id WHERE k.agency_id = $1 ORDER BY k.id DESC LIMIT $2", agencyID, limit)
}

// checkDays reads, for a campaign ($1), each agency's last check before
// $2, then its last check of each day in Vietnam (UTC+7, no daylight
// saving) from $2 to $3. checks_agency finds the first part with one
// seek per agency, checks_campaign_time the second.
const checkDays = `SELECT k.agency_id, '', k.status FROM agencies a JOIN checks k ON k.id = (
		SELECT c.id FROM checks c WHERE c.agency_id = a.id AND c.campaign = $1 AND c.checked_at < $2
		ORDER BY c.checked_at DESC, c.id DESC LIMIT 1)
	UNION ALL
	SELECT k.agency_id, g.day, k.status FROM (
		SELECT max(id) AS id, to_char((checked_at AT TIME ZONE 'UTC') + interval '7 hours', 'YYYY-MM-DD') AS day FROM checks
		WHERE campaign = $1 AND checked_at >= $2 AND checked_at < $3 GROUP BY agency_id, day) g
	JOIN checks k ON k.id = g.id`

// CheckDays implements compliance.Store.
func (s *Store) CheckDays(ctx context.Context, campaign, first, last string, fn func(compliance.CheckDay) error) error {
	from, end, err := store.DayRange(first, last)
	if err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, checkDays, campaign, from, end)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c compliance.CheckDay
		if err := rows.Scan(&c.AgencyID, &c.Day, &c.Status); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return classify(rows.Err())
}

// siteDays sums a campaign's ($1) counts per site and day from $2 to $3.
// The SQLite store's is the same.
const siteDays = `SELECT site, day,
	coalesce(sum(CASE WHEN event IN ('image', 'script', 'frame') THEN n END), 0)::bigint,
	coalesce(sum(CASE WHEN event NOT IN ('image', 'script', 'frame') THEN n END), 0)::bigint
	FROM counts WHERE campaign IN ($1, '') AND day >= $2 AND day <= $3 GROUP BY site, day`

// SiteDays implements compliance.Store.
func (s *Store) SiteDays(ctx context.Context, campaign, first, last string, fn func(compliance.SiteDay) error) error {
	if _, _, err := store.DayRange(first, last); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, siteDays, campaign, first, last)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d compliance.SiteDay
		if err := rows.Scan(&d.Site, &d.Day, &d.Impressions, &d.Clicks); err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return classify(rows.Err())
}
