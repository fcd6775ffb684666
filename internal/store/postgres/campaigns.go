package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/store"
)

const campaignColumns = "slug, title, caption, qr_mode, target, version, oa_ids, created_at, updated_at, theme, layout"

func scanCampaign(r pgx.Row) (campaign.Campaign, error) {
	var c campaign.Campaign
	var mode, ids string
	if err := r.Scan(&c.Slug, &c.Title, &c.Caption, &mode, &c.Target, &c.Version, &ids, &c.CreatedAt, &c.UpdatedAt, &c.Theme, &c.Layout); err != nil {
		return c, err
	}
	c.QRMode = campaign.QRMode(mode)
	if ids != "" {
		c.OAIDs = strings.Split(ids, ",")
	}
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	return c, nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func getCampaign(ctx context.Context, q querier, slug string, lock bool) (campaign.Campaign, error) {
	sql := "SELECT " + campaignColumns + " FROM campaigns WHERE slug = $1"
	if lock {
		sql += " FOR UPDATE"
	}
	c, err := scanCampaign(q.QueryRow(ctx, sql, slug))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, apperr.NotFoundf("no campaign %q", slug)
	}
	return c, classify(err)
}

// Campaigns implements campaign.Store.
func (s *Store) Campaigns(ctx context.Context) ([]campaign.Campaign, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+campaignColumns+" FROM campaigns ORDER BY slug")
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
	return out, classify(rows.Err())
}

// Campaign implements campaign.Store.
func (s *Store) Campaign(ctx context.Context, slug string) (campaign.Campaign, error) {
	return getCampaign(ctx, s.pool, slug, false)
}

// CreateCampaign implements campaign.Store.
func (s *Store) CreateCampaign(ctx context.Context, c campaign.Campaign, by audit.Actor) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, "INSERT INTO campaigns ("+campaignColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (slug) DO NOTHING RETURNING id",
			c.Slug, c.Title, c.Caption, string(c.QRMode), c.Target, c.Version, strings.Join(c.OAIDs, ","), c.CreatedAt, c.UpdatedAt, c.Theme, c.Layout).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.Conflictf("campaign %q already exists", c.Slug)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO targets (campaign_id, version, target, actor, created_at, kind) VALUES ($1, $2, $3, $4, $5, 'create')",
			id, c.Version, c.Target, by.Name, c.CreatedAt); err != nil {
			return err
		}
		e := audit.New(by, "campaign.create", c.Slug, nil, store.CampaignState(c))
		e.At = c.CreatedAt
		if err := s.appendAudit(ctx, tx, e); err != nil {
			return err
		}
		return notify(ctx, tx, c.Slug)
	})
}

// UpdateCampaign implements campaign.Store.
func (s *Store) UpdateCampaign(ctx context.Context, c campaign.Campaign, by audit.Actor) (campaign.Campaign, error) {
	var out campaign.Campaign
	err := s.tx(ctx, func(tx pgx.Tx) error {
		before, err := getCampaign(ctx, tx, c.Slug, true)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE campaigns SET title = $1, caption = $2, qr_mode = $3, oa_ids = $4, updated_at = $5, theme = $6, layout = $7 WHERE slug = $8",
			c.Title, c.Caption, string(c.QRMode), strings.Join(c.OAIDs, ","), c.UpdatedAt, c.Theme, c.Layout, c.Slug); err != nil {
			return err
		}
		if out, err = getCampaign(ctx, tx, c.Slug, false); err != nil {
			return err
		}
		e := audit.New(by, "campaign.update", c.Slug, store.CampaignState(before), store.CampaignState(out))
		e.At = c.UpdatedAt
		if err := s.appendAudit(ctx, tx, e); err != nil {
			return err
		}
		return notify(ctx, tx, c.Slug)
	})
	return out, err
}

// Rotate implements campaign.Store. The campaign row is locked, so two
// replicas rotating at once are serialised and the second sees the first.
func (s *Store) Rotate(ctx context.Context, r campaign.Rotation, by audit.Actor) (campaign.Campaign, error) {
	var c campaign.Campaign
	err := s.tx(ctx, func(tx pgx.Tx) error {
		before, err := getCampaign(ctx, tx, r.Slug, true)
		if err != nil {
			return err
		}
		if r.Expect != 0 && r.Expect != before.Version {
			return apperr.PreconditionFailedf("campaign %q is at version %d, not %d: reload and try again", r.Slug, before.Version, r.Expect)
		}
		if r.Proposal != 0 {
			var status string
			err := tx.QueryRow(ctx, "SELECT status FROM proposals WHERE id = $1 FOR UPDATE", r.Proposal).Scan(&status)
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.NotFoundf("no proposal %d", r.Proposal)
			}
			if err != nil {
				return err
			}
			if status != campaign.Pending && status != campaign.Approved {
				return apperr.Conflictf("proposal %d is %s", r.Proposal, status)
			}
			if _, err := tx.Exec(ctx, "UPDATE proposals SET status = 'applied', approver = $1, decided_at = $2 WHERE id = $3", r.Approver, r.At, r.Proposal); err != nil {
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
		c.UpdatedAt = r.At.UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, `INSERT INTO targets (campaign_id, version, target, actor, created_at, kind, approver)
			SELECT id, $1, $2, $3, $4, $5, $6 FROM campaigns WHERE slug = $7`,
			c.Version, r.Target, proposer, r.At, r.Kind, r.Approver, r.Slug); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE campaigns SET target = $1, version = $2, updated_at = $3 WHERE slug = $4", r.Target, c.Version, r.At, r.Slug); err != nil {
			return err
		}
		e := audit.New(by, "campaign."+r.Kind, r.Slug,
			map[string]any{"target": before.Target, "version": before.Version},
			map[string]any{"target": c.Target, "version": c.Version, "proposal": r.Proposal, "proposer": proposer})
		e.At, e.Approval = r.At, r.Approver
		if err := s.appendAudit(ctx, tx, e); err != nil {
			return err
		}
		return notify(ctx, tx, r.Slug)
	})
	return c, err
}

// History implements campaign.Store.
func (s *Store) History(ctx context.Context, slug string) ([]campaign.Revision, error) {
	if _, err := s.Campaign(ctx, slug); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT t.version, t.target, t.kind, t.actor, t.approver, t.created_at
		FROM targets t JOIN campaigns c ON c.id = t.campaign_id WHERE c.slug = $1 ORDER BY t.version DESC`, slug)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []campaign.Revision
	for rows.Next() {
		var r campaign.Revision
		if err := rows.Scan(&r.Version, &r.Target, &r.Kind, &r.Actor, &r.Approver, &r.CreatedAt); err != nil {
			return nil, err
		}
		r.CreatedAt = utc(r.CreatedAt)
		out = append(out, r)
	}
	return out, classify(rows.Err())
}

const proposalColumns = `p.id, c.slug, p.target, p.kind, p.base_version, p.proposer, p.proposer_role, p.run_at,
	p.status, p.approver, p.reason, p.created_at, p.decided_at`

func scanProposal(r pgx.Row) (campaign.Proposal, error) {
	var p campaign.Proposal
	err := r.Scan(&p.ID, &p.Slug, &p.Target, &p.Kind, &p.BaseVersion, &p.Proposer, &p.ProposerRole, &p.RunAt,
		&p.Status, &p.Approver, &p.Reason, &p.CreatedAt, &p.DecidedAt)
	p.CreatedAt, p.RunAt, p.DecidedAt = utc(p.CreatedAt), utcp(p.RunAt), utcp(p.DecidedAt)
	return p, err
}

func getProposal(ctx context.Context, q querier, id int64) (campaign.Proposal, error) {
	p, err := scanProposal(q.QueryRow(ctx, "SELECT "+proposalColumns+" FROM proposals p JOIN campaigns c ON c.id = p.campaign_id WHERE p.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.NotFoundf("no proposal %d", id)
	}
	return p, classify(err)
}

// CreateProposal implements campaign.Store.
func (s *Store) CreateProposal(ctx context.Context, p campaign.Proposal, by audit.Actor) (campaign.Proposal, error) {
	var out campaign.Proposal
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := getCampaign(ctx, tx, p.Slug, false); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO proposals (campaign_id, target, kind, base_version, proposer, proposer_role, run_at, status, approver, created_at)
			SELECT id, $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM campaigns WHERE slug = $10 RETURNING id`,
			p.Target, p.Kind, p.BaseVersion, p.Proposer, p.ProposerRole, p.RunAt, p.Status, p.Approver, p.CreatedAt, p.Slug).Scan(&id); err != nil {
			return err
		}
		var err error
		if out, err = getProposal(ctx, tx, id); err != nil {
			return err
		}
		e := audit.New(by, "proposal.create", p.Slug, nil, store.ProposalState(out))
		e.At = p.CreatedAt
		return s.appendAudit(ctx, tx, e)
	})
	return out, err
}

// Proposal implements campaign.Store.
func (s *Store) Proposal(ctx context.Context, id int64) (campaign.Proposal, error) {
	return getProposal(ctx, s.pool, id)
}

// Proposals implements campaign.Store.
func (s *Store) Proposals(ctx context.Context, status string) ([]campaign.Proposal, error) {
	q := "SELECT " + proposalColumns + " FROM proposals p JOIN campaigns c ON c.id = p.campaign_id"
	var args []any
	if status != "" {
		q += " WHERE p.status = $1"
		args = append(args, status)
	}
	rows, err := s.pool.Query(ctx, q+" ORDER BY p.id DESC LIMIT 1000", args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []campaign.Proposal
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, classify(rows.Err())
}

// DecideProposal implements campaign.Store.
func (s *Store) DecideProposal(ctx context.Context, id int64, status, reason string, at time.Time, by audit.Actor) (campaign.Proposal, error) {
	var out campaign.Proposal
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT 1 FROM proposals WHERE id = $1 FOR UPDATE", id); err != nil {
			return err
		}
		before, err := getProposal(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.Status != campaign.Pending && before.Status != campaign.Approved {
			return apperr.Conflictf("proposal %d is %s already", id, before.Status)
		}
		approver := before.Approver
		if status == campaign.Approved {
			approver = by.Name
		}
		if _, err := tx.Exec(ctx, "UPDATE proposals SET status = $1, reason = $2, approver = $3, decided_at = $4 WHERE id = $5",
			status, reason, approver, at, id); err != nil {
			return err
		}
		if out, err = getProposal(ctx, tx, id); err != nil {
			return err
		}
		e := audit.New(by, "proposal."+status, before.Slug, store.ProposalState(before), store.ProposalState(out))
		e.At = at
		if status == campaign.Approved {
			e.Approval = by.Name
		}
		return s.appendAudit(ctx, tx, e)
	})
	return out, err
}
