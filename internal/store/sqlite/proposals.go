package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/store"
)

const proposalColumns = `id, slug, target, kind, change, base_version, proposer, proposer_role, run_at,
	status, approver, reason, created_at, decided_at`

func scanProposal(r scanner) (campaign.Proposal, error) {
	var p campaign.Proposal
	var runAt, decided sql.NullString
	var created, change string
	if err := r.Scan(&p.ID, &p.Slug, &p.Target, &p.Kind, &change, &p.BaseVersion, &p.Proposer, &p.ProposerRole, &runAt,
		&p.Status, &p.Approver, &p.Reason, &created, &decided); err != nil {
		return p, err
	}
	var err error
	if p.Fields, err = store.ParseFields(change); err != nil {
		return p, err
	}
	if p.CreatedAt, err = parseTime(created); err != nil {
		return p, err
	}
	if p.RunAt, err = parseNullTime(runAt); err != nil {
		return p, err
	}
	p.DecidedAt, err = parseNullTime(decided)
	return p, err
}

func getProposal(ctx context.Context, q queryer, id int64) (campaign.Proposal, error) {
	p, err := scanProposal(q.QueryRowContext(ctx, "SELECT "+proposalColumns+" FROM proposals WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apperr.NotFoundf("no proposal %d", id)
	}
	return p, classify(err)
}

// CreateProposal implements campaign.Store.
func (s *Store) CreateProposal(ctx context.Context, p campaign.Proposal, by audit.Actor) (campaign.Proposal, error) {
	var out campaign.Proposal
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if p.Kind != campaign.KindCreate {
			if _, err := getCampaign(ctx, tx, p.Slug); err != nil {
				return err
			}
		}
		change, err := store.FieldsColumn(p.Fields)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO proposals (slug, target, kind, change, base_version, proposer, proposer_role, run_at, status, approver, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Slug, p.Target, p.Kind, change, p.BaseVersion, p.Proposer, p.ProposerRole, nullTime(p.RunAt), p.Status, p.Approver, formatTime(p.CreatedAt))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
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
	return getProposal(ctx, s.db, id)
}

// Proposals implements campaign.Store.
func (s *Store) Proposals(ctx context.Context, status string) ([]campaign.Proposal, error) {
	q := "SELECT " + proposalColumns + " FROM proposals"
	var args []any
	if status != "" {
		q += " WHERE status = ?"
		args = append(args, status)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY id DESC LIMIT 1000", args...)
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
	return out, rows.Err()
}

// DecideProposal implements campaign.Store.
func (s *Store) DecideProposal(ctx context.Context, id int64, status, reason string, at time.Time, by audit.Actor) (campaign.Proposal, error) {
	var out campaign.Proposal
	err := s.tx(ctx, func(tx *sql.Tx) error {
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
		if _, err := tx.ExecContext(ctx, "UPDATE proposals SET status = ?, reason = ?, approver = ?, decided_at = ? WHERE id = ?",
			status, reason, approver, formatTime(at), id); err != nil {
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
