package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/store"
)

const campaignColumns = "slug, title, caption, qr_mode, target, version, oa_ids, created_at, updated_at, theme, layout"

type scanner interface{ Scan(...any) error }

func scanCampaign(r scanner) (campaign.Campaign, error) {
	var c campaign.Campaign
	var mode, ids, created, updated string
	if err := r.Scan(&c.Slug, &c.Title, &c.Caption, &mode, &c.Target, &c.Version, &ids, &created, &updated, &c.Theme, &c.Layout); err != nil {
		return c, err
	}
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

// CreateCampaign implements campaign.Store.
func (s *Store) CreateCampaign(ctx context.Context, c campaign.Campaign, by audit.Actor) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM campaigns WHERE slug = ?", c.Slug).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return apperr.Conflictf("campaign %q already exists", c.Slug)
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO campaigns ("+campaignColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			c.Slug, c.Title, c.Caption, string(c.QRMode), c.Target, c.Version, strings.Join(c.OAIDs, ","), formatTime(c.CreatedAt), formatTime(c.UpdatedAt), c.Theme, c.Layout)
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO targets (campaign_id, version, target, actor, created_at, kind) VALUES (?, ?, ?, ?, ?, 'create')",
			id, c.Version, c.Target, by.Name, formatTime(c.CreatedAt)); err != nil {
			return err
		}
		if err := changed(ctx, tx, c.Slug); err != nil {
			return err
		}
		e := audit.New(by, "campaign.create", c.Slug, nil, store.CampaignState(c))
		e.At = c.CreatedAt
		return s.appendAudit(ctx, tx, e)
	})
}

// UpdateCampaign implements campaign.Store.
func (s *Store) UpdateCampaign(ctx context.Context, c campaign.Campaign, by audit.Actor) (campaign.Campaign, error) {
	var out campaign.Campaign
	err := s.tx(ctx, func(tx *sql.Tx) error {
		before, err := getCampaign(ctx, tx, c.Slug)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE campaigns SET title = ?, caption = ?, qr_mode = ?, oa_ids = ?, updated_at = ?, theme = ?, layout = ? WHERE slug = ?",
			c.Title, c.Caption, string(c.QRMode), strings.Join(c.OAIDs, ","), formatTime(c.UpdatedAt), c.Theme, c.Layout, c.Slug); err != nil {
			return err
		}
		if out, err = getCampaign(ctx, tx, c.Slug); err != nil {
			return err
		}
		if err := changed(ctx, tx, c.Slug); err != nil {
			return err
		}
		e := audit.New(by, "campaign.update", c.Slug, store.CampaignState(before), store.CampaignState(out))
		e.At = c.UpdatedAt
		return s.appendAudit(ctx, tx, e)
	})
	return out, err
}

// Rotate implements campaign.Store.
func (s *Store) Rotate(ctx context.Context, r campaign.Rotation, by audit.Actor) (campaign.Campaign, error) {
	var c campaign.Campaign
	err := s.tx(ctx, func(tx *sql.Tx) error {
		before, err := getCampaign(ctx, tx, r.Slug)
		if err != nil {
			return err
		}
		if r.Expect != 0 && r.Expect != before.Version {
			return apperr.PreconditionFailedf("campaign %q is at version %d, not %d: reload and try again", r.Slug, before.Version, r.Expect)
		}
		if r.Proposal != 0 {
			var status string
			err := tx.QueryRowContext(ctx, "SELECT status FROM proposals WHERE id = ?", r.Proposal).Scan(&status)
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.NotFoundf("no proposal %d", r.Proposal)
			}
			if err != nil {
				return err
			}
			if status != campaign.Pending && status != campaign.Approved {
				return apperr.Conflictf("proposal %d is %s", r.Proposal, status)
			}
			if _, err := tx.ExecContext(ctx, "UPDATE proposals SET status = 'applied', approver = ?, decided_at = ? WHERE id = ?",
				r.Approver, formatTime(r.At), r.Proposal); err != nil {
				return err
			}
		}
		proposer := r.Proposer
		if proposer == "" {
			proposer = by.Name
		}
		c = before
		c.Version++
		c.Target = r.Target
		c.UpdatedAt = r.At.UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO targets (campaign_id, version, target, actor, created_at, kind, approver)
			SELECT id, ?, ?, ?, ?, ?, ? FROM campaigns WHERE slug = ?`,
			c.Version, r.Target, proposer, formatTime(r.At), r.Kind, r.Approver, r.Slug); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE campaigns SET target = ?, version = ?, updated_at = ? WHERE slug = ?",
			r.Target, c.Version, formatTime(r.At), r.Slug); err != nil {
			return err
		}
		if err := changed(ctx, tx, r.Slug); err != nil {
			return err
		}
		e := audit.New(by, "campaign."+r.Kind, r.Slug,
			map[string]any{"target": before.Target, "version": before.Version},
			map[string]any{"target": c.Target, "version": c.Version, "proposal": r.Proposal, "proposer": proposer})
		e.At, e.Approval = r.At, r.Approver
		return s.appendAudit(ctx, tx, e)
	})
	return c, err
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
