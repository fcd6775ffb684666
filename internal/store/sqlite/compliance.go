package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/store"
)

var _ compliance.Store = (*Store)(nil)

const agencyColumns = "id, name, kind, homepage, parent, contact, created_at, updated_at"

func scanAgency(r scanner) (compliance.Agency, error) {
	var a compliance.Agency
	var kind, created, updated string
	if err := r.Scan(&a.ID, &a.Name, &kind, &a.Homepage, &a.Parent, &a.Contact, &created, &updated); err != nil {
		return a, err
	}
	a.Kind = compliance.Kind(kind)
	var err error
	if a.CreatedAt, err = parseTime(created); err != nil {
		return a, err
	}
	a.UpdatedAt, err = parseTime(updated)
	return a, err
}

// ImportAgencies implements compliance.Store.
func (s *Store) ImportAgencies(ctx context.Context, as []compliance.Agency, at time.Time, by audit.Actor) (int, int, error) {
	var created, updated int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		created, updated = 0, 0
		existing, err := agencyKeys(ctx, tx)
		if err != nil {
			return err
		}
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
			res, err := tx.ExecContext(ctx, `INSERT INTO agencies (key, name, kind, homepage, host, parent, contact, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET name = excluded.name, kind = excluded.kind, homepage = excluded.homepage,
					host = excluded.host, parent = excluded.parent, contact = excluded.contact, updated_at = excluded.updated_at
				WHERE (name, kind, homepage, parent, contact) IS NOT (excluded.name, excluded.kind, excluded.homepage, excluded.parent, excluded.contact)`,
				compliance.Key(a.Name), a.Name, string(a.Kind), a.Homepage, a.Host(), a.Parent, a.Contact, formatTime(at), formatTime(at))
			if err != nil {
				return err
			}
			switch n, _ := res.RowsAffected(); {
			case n == 0: // unchanged
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
	return created, updated, err
}

func agencyKeys(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT key FROM agencies")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

// Agencies implements compliance.Store.
func (s *Store) Agencies(ctx context.Context) ([]compliance.Agency, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+agencyColumns+" FROM agencies ORDER BY kind, name")
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
	return out, rows.Err()
}

// Agency implements compliance.Store.
func (s *Store) Agency(ctx context.Context, id int64) (compliance.Agency, error) {
	a, err := scanAgency(s.db.QueryRowContext(ctx, "SELECT "+agencyColumns+" FROM agencies WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, apperr.NotFoundf("no agency %d", id)
	}
	return a, classify(err)
}

// AddCounts implements compliance.CountStore. The limit of sites per
// campaign and day holds across processes: transactions take the write
// lock at BEGIN, so two flushes cannot both see room for the last site.
func (s *Store) AddCounts(ctx context.Context, cs []compliance.Count, maxSites int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		stored := func(campaign, day string) (int, error) {
			var n int
			err := tx.QueryRowContext(ctx, "SELECT count(DISTINCT site) FROM counts WHERE campaign = ? AND day = ? AND site <> ?",
				campaign, day, compliance.OtherSite).Scan(&n)
			return n, err
		}
		list := func(campaign, day string) (map[string]bool, error) {
			rows, err := tx.QueryContext(ctx, "SELECT DISTINCT site FROM counts WHERE campaign = ? AND day = ? AND site <> ?",
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
		st, err := tx.PrepareContext(ctx, `INSERT INTO counts (campaign, site, day, event, n) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (campaign, site, day, event) DO UPDATE SET n = n + excluded.n`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, c := range cs {
			if _, err := st.ExecContext(ctx, c.Campaign, c.Site, c.Day, c.Event.String(), c.N); err != nil {
				return err
			}
		}
		return nil
	})
}

// Counts implements compliance.Store.
func (s *Store) Counts(ctx context.Context, sinceDay string) ([]compliance.Count, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT campaign, site, day, event, n FROM counts WHERE day >= ? ORDER BY day", sinceDay)
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
	return out, rows.Err()
}

// siteTotals sums a campaign's counts per site; its parameters are day7,
// the campaign and day30. The PostgreSQL store's is the same.
const siteTotals = `SELECT site,
	coalesce(sum(CASE WHEN event IN ('image', 'script', 'frame') AND day >= ?1 THEN n END), 0),
	coalesce(sum(CASE WHEN event IN ('image', 'script', 'frame') THEN n END), 0),
	coalesce(sum(CASE WHEN event NOT IN ('image', 'script', 'frame') AND day >= ?1 THEN n END), 0),
	coalesce(sum(CASE WHEN event NOT IN ('image', 'script', 'frame') THEN n END), 0),
	coalesce(max(CASE WHEN event IN ('image', 'script', 'frame') THEN day END), ''),
	max(day)
	FROM counts WHERE campaign IN (?2, '') AND day >= ?3 GROUP BY site`

// SiteTotals implements compliance.Store.
func (s *Store) SiteTotals(ctx context.Context, campaign, day7, day30 string, fn func(compliance.SiteTotal) error) error {
	rows, err := s.db.QueryContext(ctx, siteTotals, day7, campaign, day30)
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

// SaveResults implements compliance.Store.
func (s *Store) SaveResults(ctx context.Context, rs []compliance.Result) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO checks (agency_id, campaign, status, reason, fix, forms, final_url, http_status, checked_at, details)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rs {
			if _, err := st.ExecContext(ctx, r.AgencyID, r.Campaign, r.Status, r.Reason, r.Fix, store.FormsColumn(r.Forms), r.FinalURL, r.HTTP, formatTime(r.CheckedAt), store.DetailsColumn(r)); err != nil {
				return err
			}
		}
		return nil
	})
}

const resultColumns = "k.agency_id, a.name, a.homepage, k.campaign, k.status, k.reason, k.fix, k.forms, k.final_url, k.http_status, k.checked_at, k.details"

func scanResult(r scanner) (compliance.Result, error) {
	var x compliance.Result
	var forms, at, details string
	if err := r.Scan(&x.AgencyID, &x.Agency, &x.Homepage, &x.Campaign, &x.Status, &x.Reason, &x.Fix, &forms, &x.FinalURL, &x.HTTP, &at, &details); err != nil {
		return x, err
	}
	x.Forms = store.ParseForms(forms)
	if err := store.ParseDetails(details, &x); err != nil {
		return x, err
	}
	var err error
	x.CheckedAt, err = parseTime(at)
	return x, err
}

// LatestResults implements compliance.Store.
func (s *Store) LatestResults(ctx context.Context) ([]compliance.Result, error) {
	return s.results(ctx, `SELECT `+resultColumns+` FROM checks k JOIN agencies a ON a.id = k.agency_id
		WHERE k.id = (SELECT max(id) FROM checks WHERE agency_id = k.agency_id AND campaign = k.campaign)`)
}

// AgencyResults implements compliance.Store.
func (s *Store) AgencyResults(ctx context.Context, agencyID int64, limit int) ([]compliance.Result, error) {
	return s.results(ctx, `SELECT `+resultColumns+` FROM checks k JOIN agencies a ON a.id = k.agency_id
		WHERE k.agency_id = ? ORDER BY k.id DESC LIMIT ?`, agencyID, limit)
}

func (s *Store) results(ctx context.Context, q string, args ...any) ([]compliance.Result, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
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
	return out, rows.Err()
}

// checkDays reads, for a campaign (?1), each agency's last check before
// ?2 (the first day's start, as a prefix of the stored text: the stored
// times are UTC with the seconds at a fixed place, so comparing with it
// is exact whatever fraction follows), then its last check of each day
// in Vietnam from ?2 to ?3. checks_agency finds the first part with one
// seek per agency, checks_campaign_time the second.
const checkDays = `SELECT k.agency_id, '', k.status FROM agencies a JOIN checks k ON k.id = (
		SELECT c.id FROM checks c WHERE c.agency_id = a.id AND c.campaign = ?1 AND c.checked_at < ?2
		ORDER BY c.checked_at DESC, c.id DESC LIMIT 1)
	UNION ALL
	SELECT agency_id, day, status FROM (
		SELECT agency_id, date(checked_at, '+7 hours') AS day, status, max(id) FROM checks
		WHERE campaign = ?1 AND checked_at >= ?2 AND checked_at < ?3 GROUP BY agency_id, day)`

// CheckDays implements compliance.Store.
func (s *Store) CheckDays(ctx context.Context, campaign, first, last string, fn func(compliance.CheckDay) error) error {
	from, end, err := store.DayRange(first, last)
	if err != nil {
		return err
	}
	const prefix = "2006-01-02T15:04:05"
	rows, err := s.db.QueryContext(ctx, checkDays, campaign, from.Format(prefix), end.Format(prefix))
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

// siteDays sums a campaign's (?1) counts per site and day from ?2 to ?3.
// The PostgreSQL store's is the same.
const siteDays = `SELECT site, day,
	coalesce(sum(CASE WHEN event IN ('image', 'script', 'frame') THEN n END), 0),
	coalesce(sum(CASE WHEN event NOT IN ('image', 'script', 'frame') THEN n END), 0)
	FROM counts WHERE campaign IN (?1, '') AND day >= ?2 AND day <= ?3 GROUP BY site, day`

// SiteDays implements compliance.Store.
func (s *Store) SiteDays(ctx context.Context, campaign, first, last string, fn func(compliance.SiteDay) error) error {
	if _, _, err := store.DayRange(first, last); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, siteDays, campaign, first, last)
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
