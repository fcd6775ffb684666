package postgres

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/store"
)

const campaignColumns = "slug, title, caption, qr_mode, target, version, oa_ids, created_at, updated_at, theme, layout, disabled, emblem, emblem_in_code"

// campaignValues are c's values for campaignColumns, in their order.
func campaignValues(c campaign.Campaign) []any {
	return []any{c.Slug, c.Title, c.Caption, string(c.QRMode), c.Target, c.Version, strings.Join(c.OAIDs, ","), c.CreatedAt, c.UpdatedAt,
		c.Theme, c.Layout, c.Disabled, nullString(c.Emblem), c.EmblemInCode}
}

// nullString stores "" as NULL, for optional references.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func scanCampaign(r pgx.Row) (campaign.Campaign, error) {
	var c campaign.Campaign
	var mode, ids string
	var emblem *string
	if err := r.Scan(&c.Slug, &c.Title, &c.Caption, &mode, &c.Target, &c.Version, &ids, &c.CreatedAt, &c.UpdatedAt, &c.Theme, &c.Layout, &c.Disabled,
		&emblem, &c.EmblemInCode); err != nil {
		return c, err
	}
	if emblem != nil {
		c.Emblem = *emblem
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

// Apply implements campaign.Store. The campaign row is locked, so two
// replicas changing it at once are serialised and the second sees the first.
func (s *Store) Apply(ctx context.Context, ch campaign.Change, by audit.Actor) (campaign.Campaign, error) {
	var c campaign.Campaign
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var before *campaign.Campaign
		c = ch.State
		c.UpdatedAt = ch.At.UTC().Truncate(time.Microsecond)
		if ch.Kind == campaign.KindCreate {
			c.Version, c.CreatedAt = 1, c.UpdatedAt
		} else {
			cur, err := getCampaign(ctx, tx, c.Slug, true)
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
			if err := markApplied(ctx, tx, ch.Proposal, ch.Approver, c.UpdatedAt); err != nil {
				return err
			}
		}
		if before == nil {
			var id int64
			err := tx.QueryRow(ctx, "INSERT INTO campaigns ("+campaignColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (slug) DO NOTHING RETURNING id",
				campaignValues(c)...).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.Conflictf("campaign %q already exists", c.Slug)
			}
			if err != nil {
				return emblemMissing(err, c)
			}
		} else if _, err := tx.Exec(ctx, `UPDATE campaigns SET title = $1, caption = $2, qr_mode = $3, target = $4, version = $5, oa_ids = $6,
			updated_at = $7, theme = $8, layout = $9, disabled = $10, emblem = $11, emblem_in_code = $12 WHERE slug = $13`,
			c.Title, c.Caption, string(c.QRMode), c.Target, c.Version, strings.Join(c.OAIDs, ","), c.UpdatedAt, c.Theme, c.Layout, c.Disabled,
			nullString(c.Emblem), c.EmblemInCode, c.Slug); err != nil {
			return emblemMissing(err, c)
		}
		proposer := ch.Proposer
		if proposer == "" {
			proposer = by.Name
		}
		if _, err := tx.Exec(ctx, `INSERT INTO targets (campaign_id, version, target, actor, created_at, kind, approver)
			SELECT id, $1, $2, $3, $4, $5, $6 FROM campaigns WHERE slug = $7`,
			c.Version, c.Target, proposer, c.UpdatedAt, ch.Kind, ch.Approver, c.Slug); err != nil {
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
		if err := s.appendAudit(ctx, tx, e); err != nil {
			return err
		}
		return notify(ctx, tx, c.Slug)
	})
	return c, err
}

// emblemMissing reports a campaign that names an emblem not stored as
// Invalid: the foreign key caught what the service checks first.
func emblemMissing(err error, c campaign.Campaign) error {
	var pe *pgconn.PgError
	if c.Emblem != "" && errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation
		return apperr.Invalidf("emblem %q is not stored: upload it first", c.Emblem)
	}
	return err
}

// PutEmblem implements campaign.Store.
func (s *Store) PutEmblem(ctx context.Context, b campaign.EmblemBlob, by audit.Actor) error {
	at := b.CreatedAt.UTC().Truncate(time.Microsecond)
	return s.tx(ctx, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, "INSERT INTO emblems (id, png, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id", b.ID, b.PNG, at).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			var have []byte
			if err := tx.QueryRow(ctx, "SELECT png FROM emblems WHERE id = $1", b.ID).Scan(&have); err != nil {
				return err
			}
			if !bytes.Equal(have, b.PNG) {
				return apperr.Conflictf("emblem %s is stored already with other bytes", b.ID)
			}
			return nil
		}
		if err != nil {
			return err
		}
		e := audit.New(by, "emblem.upload", b.ID, nil, store.EmblemState(b))
		e.At = at
		return s.appendAudit(ctx, tx, e)
	})
}

// Emblem implements campaign.Store.
func (s *Store) Emblem(ctx context.Context, id string) (campaign.EmblemBlob, error) {
	b := campaign.EmblemBlob{ID: id}
	err := s.pool.QueryRow(ctx, "SELECT png, created_at FROM emblems WHERE id = $1", id).Scan(&b.PNG, &b.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, apperr.NotFoundf("no emblem %q", id)
	}
	b.CreatedAt = utc(b.CreatedAt)
	return b, classify(err)
}

// markApplied marks proposal id, which must be pending or approved, applied.
func markApplied(ctx context.Context, tx pgx.Tx, id int64, approver string, at time.Time) error {
	var status string
	err := tx.QueryRow(ctx, "SELECT status FROM proposals WHERE id = $1 FOR UPDATE", id).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFoundf("no proposal %d", id)
	}
	if err != nil {
		return err
	}
	if status != campaign.Pending && status != campaign.Approved {
		return apperr.Conflictf("proposal %d is %s", id, status)
	}
	_, err = tx.Exec(ctx, "UPDATE proposals SET status = 'applied', approver = $1, decided_at = $2 WHERE id = $3", approver, at, id)
	return err
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

const proposalColumns = `id, slug, target, kind, change, base_version, proposer, proposer_role, run_at,
	status, approver, reason, created_at, decided_at`

func scanProposal(r pgx.Row) (campaign.Proposal, error) {
	var p campaign.Proposal
	var change string
	if err := r.Scan(&p.ID, &p.Slug, &p.Target, &p.Kind, &change, &p.BaseVersion, &p.Proposer, &p.ProposerRole, &p.RunAt,
		&p.Status, &p.Approver, &p.Reason, &p.CreatedAt, &p.DecidedAt); err != nil {
		return p, err
	}
	p.CreatedAt, p.RunAt, p.DecidedAt = utc(p.CreatedAt), utcp(p.RunAt), utcp(p.DecidedAt)
	var err error
	p.Fields, err = store.ParseFields(change)
	return p, err
}

func getProposal(ctx context.Context, q querier, id int64) (campaign.Proposal, error) {
	p, err := scanProposal(q.QueryRow(ctx, "SELECT "+proposalColumns+" FROM proposals WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.NotFoundf("no proposal %d", id)
	}
	return p, classify(err)
}

// CreateProposal implements campaign.Store.
func (s *Store) CreateProposal(ctx context.Context, p campaign.Proposal, by audit.Actor) (campaign.Proposal, error) {
	var out campaign.Proposal
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if p.Kind != campaign.KindCreate {
			if _, err := getCampaign(ctx, tx, p.Slug, false); err != nil {
				return err
			}
		}
		change, err := store.FieldsColumn(p.Fields)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO proposals (slug, target, kind, change, base_version, proposer, proposer_role, run_at, status, approver, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			p.Slug, p.Target, p.Kind, change, p.BaseVersion, p.Proposer, p.ProposerRole, p.RunAt, p.Status, p.Approver, p.CreatedAt).Scan(&id); err != nil {
			return err
		}
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
	q := "SELECT " + proposalColumns + " FROM proposals"
	var args []any
	if status != "" {
		q += " WHERE status = $1"
		args = append(args, status)
	}
	rows, err := s.pool.Query(ctx, q+" ORDER BY id DESC LIMIT 1000", args...)
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
