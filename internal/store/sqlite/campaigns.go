package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/store"
)

const campaignColumns = "slug, title, caption, qr_mode, target, version, oa_ids, created_at, updated_at, theme, layout, disabled, emblem, emblem_in_code"

// campaignValues are c's values for campaignColumns, in their order.
func campaignValues(c campaign.Campaign) []any {
	return []any{c.Slug, c.Title, c.Caption, string(c.QRMode), c.Target, c.Version, strings.Join(c.OAIDs, ","), formatTime(c.CreatedAt), formatTime(c.UpdatedAt),
		c.Theme, c.Layout, c.Disabled, nullString(c.Emblem), c.EmblemInCode}
}

// nullString stores "" as NULL, for optional references.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type scanner interface{ Scan(...any) error }

func scanCampaign(r scanner) (campaign.Campaign, error) {
	var c campaign.Campaign
	var mode, ids, created, updated string
	var emblem sql.NullString
	if err := r.Scan(&c.Slug, &c.Title, &c.Caption, &mode, &c.Target, &c.Version, &ids, &created, &updated, &c.Theme, &c.Layout, &c.Disabled,
		&emblem, &c.EmblemInCode); err != nil {
		return c, err
	}
	c.Emblem = emblem.String
	c.QRMode = campaign.QRMode(mode)
	c.OAIDs = splitIDs(ids)
	var err error
	if c.CreatedAt, err = parseTime(created); err != nil {
		return c, err
	}
	c.UpdatedAt, err = parseTime(updated)
	return c, err
}

func splitIDs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Campaigns implements campaign.Store.
func (s *Store) Campaigns(ctx context.Context) ([]campaign.Campaign, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+campaignColumns+" FROM campaigns ORDER BY slug")
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []campaign.Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Campaign implements campaign.Store.
func (s *Store) Campaign(ctx context.Context, slug string) (campaign.Campaign, error) {
	return getCampaign(ctx, s.db, slug)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getCampaign(ctx context.Context, q queryer, slug string) (campaign.Campaign, error) {
	c, err := scanCampaign(q.QueryRowContext(ctx, "SELECT "+campaignColumns+" FROM campaigns WHERE slug = ?", slug))
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.NotFoundf("no campaign %q", slug)
	}
	return c, classify(err)
}

// Apply implements campaign.Store.
func (s *Store) Apply(ctx context.Context, ch campaign.Change, by audit.Actor) (campaign.Campaign, error) {
	var c campaign.Campaign
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var before *campaign.Campaign
		c = ch.State
		c.UpdatedAt = ch.At.UTC()
		if ch.Kind == campaign.KindCreate {
			var exists int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM campaigns WHERE slug = ?", c.Slug).Scan(&exists); err != nil {
				return err
			}
			if exists > 0 {
				return apperr.Conflictf("campaign %q already exists", c.Slug)
			}
			c.Version, c.CreatedAt = 1, c.UpdatedAt
		} else {
			cur, err := getCampaign(ctx, tx, c.Slug)
			if err != nil {
				return err
			}
			if ch.Expect != 0 && ch.Expect != cur.Version {
				return apperr.PreconditionFailedf("campaign %q is at version %d, not %d: reload and try again", c.Slug, cur.Version, ch.Expect)
			}
			before = &cur
			c.Version, c.CreatedAt = cur.Version+1, cur.CreatedAt
		}
		if ch.Proposal != 0 {
			if err := markApplied(ctx, tx, ch.Proposal, ch.Approver, ch.At); err != nil {
				return err
			}
		}
		if before == nil {
			if _, err := tx.ExecContext(ctx, "INSERT INTO campaigns ("+campaignColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				campaignValues(c)...); err != nil {
				return emblemMissing(err, c)
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET title = ?, caption = ?, qr_mode = ?, target = ?, version = ?, oa_ids = ?,
			updated_at = ?, theme = ?, layout = ?, disabled = ?, emblem = ?, emblem_in_code = ? WHERE slug = ?`,
			c.Title, c.Caption, string(c.QRMode), c.Target, c.Version, strings.Join(c.OAIDs, ","), formatTime(c.UpdatedAt), c.Theme, c.Layout, c.Disabled,
			nullString(c.Emblem), c.EmblemInCode, c.Slug); err != nil {
			return emblemMissing(err, c)
		}
		proposer := ch.Proposer
		if proposer == "" {
			proposer = by.Name
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO targets (campaign_id, version, target, actor, created_at, kind, approver)
			SELECT id, ?, ?, ?, ?, ?, ? FROM campaigns WHERE slug = ?`,
			c.Version, c.Target, proposer, formatTime(c.UpdatedAt), ch.Kind, ch.Approver, c.Slug); err != nil {
			return err
		}
		if err := changed(ctx, tx, c.Slug); err != nil {
			return err
		}
		var prev any
		if before != nil {
			prev = store.CampaignState(*before)
		}
		after := store.CampaignState(c)
		if ch.Proposal != 0 {
			after["proposal"], after["proposer"] = ch.Proposal, proposer
		}
		e := audit.New(by, "campaign."+ch.Kind, c.Slug, prev, after)
		e.At, e.Approval = c.UpdatedAt, ch.Approver
		return s.appendAudit(ctx, tx, e)
	})
	return c, err
}

// emblemMissing reports a campaign that names an emblem not stored as
// Invalid: the foreign key caught what the service checks first.
func emblemMissing(err error, c campaign.Campaign) error {
	var se *sqlite.Error
	if c.Emblem != "" && errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return apperr.Invalidf("emblem %q is not stored: upload it first", c.Emblem)
	}
	return err
}

// PutEmblem implements campaign.Store.
func (s *Store) PutEmblem(ctx context.Context, b campaign.EmblemBlob, by audit.Actor) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var have []byte
		err := tx.QueryRowContext(ctx, "SELECT png FROM emblems WHERE id = ?", b.ID).Scan(&have)
		switch {
		case err == nil:
			if !bytes.Equal(have, b.PNG) {
				return apperr.Conflictf("emblem %s is stored already with other bytes", b.ID)
			}
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO emblems (id, png, created_at) VALUES (?, ?, ?)", b.ID, b.PNG, formatTime(b.CreatedAt)); err != nil {
			return err
		}
		e := audit.New(by, "emblem.upload", b.ID, nil, store.EmblemState(b))
		e.At = b.CreatedAt.UTC()
		return s.appendAudit(ctx, tx, e)
	})
}

// Emblem implements campaign.Store.
func (s *Store) Emblem(ctx context.Context, id string) (campaign.EmblemBlob, error) {
	b := campaign.EmblemBlob{ID: id}
	var at string
	err := s.db.QueryRowContext(ctx, "SELECT png, created_at FROM emblems WHERE id = ?", id).Scan(&b.PNG, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return b, apperr.NotFoundf("no emblem %q", id)
	}
	if err != nil {
		return b, classify(err)
	}
	b.CreatedAt, err = parseTime(at)
	return b, err
}

// markApplied marks proposal id, which must be pending or approved, applied.
func markApplied(ctx context.Context, tx *sql.Tx, id int64, approver string, at time.Time) error {
	var status string
	err := tx.QueryRowContext(ctx, "SELECT status FROM proposals WHERE id = ?", id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFoundf("no proposal %d", id)
	}
	if err != nil {
		return err
	}
	if status != campaign.Pending && status != campaign.Approved {
		return apperr.Conflictf("proposal %d is %s", id, status)
	}
	_, err = tx.ExecContext(ctx, "UPDATE proposals SET status = 'applied', approver = ?, decided_at = ? WHERE id = ?", approver, formatTime(at), id)
	return err
}

// History implements campaign.Store.
func (s *Store) History(ctx context.Context, slug string) ([]campaign.Revision, error) {
	if _, err := s.Campaign(ctx, slug); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t.version, t.target, t.kind, t.actor, t.approver, t.created_at
		FROM targets t JOIN campaigns c ON c.id = t.campaign_id
		WHERE c.slug = ? ORDER BY t.version DESC`, slug)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []campaign.Revision
	for rows.Next() {
		var r campaign.Revision
		var at string
		if err := rows.Scan(&r.Version, &r.Target, &r.Kind, &r.Actor, &r.Approver, &at); err != nil {
			return nil, err
		}
		if r.CreatedAt, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
