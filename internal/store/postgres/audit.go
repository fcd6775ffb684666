package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/oabadge/oabadge/internal/audit"
)

const auditColumns = "seq, at, actor, role, action, subject, before, after, ip, user_agent, approval, prev_hash, hash"

func scanAudit(r pgx.Row) (audit.Entry, error) {
	var e audit.Entry
	err := r.Scan(&e.Seq, &e.At, &e.Actor, &e.Role, &e.Action, &e.Subject, &e.Before, &e.After, &e.IP, &e.UserAgent, &e.Approval, &e.PrevHash, &e.Hash)
	e.At = utc(e.At)
	return e, err
}

// AuditEntries implements audit.Reader.
func (s *Store) AuditEntries(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Actor != "" {
		where = append(where, "actor = "+arg(f.Actor))
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where = append(where, "left(action, "+arg(len(f.Action))+") = "+arg(f.Action))
		} else {
			where = append(where, "action = "+arg(f.Action))
		}
	}
	if f.Subject != "" {
		where = append(where, "subject = "+arg(f.Subject))
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= "+arg(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < "+arg(f.Until))
	}
	q := "SELECT " + auditColumns + " FROM audit"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 100_000 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, q+" ORDER BY seq DESC LIMIT "+arg(limit), args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, classify(rows.Err())
}

// VerifyAudit implements audit.Reader, in one repeatable-read snapshot.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, classify(err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, "SELECT "+auditColumns+" FROM audit ORDER BY seq")
	if err != nil {
		return 0, classify(err)
	}
	v := audit.NewVerifier()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			rows.Close()
			return v.Count(), err
		}
		if err := v.Next(e); err != nil {
			rows.Close()
			return v.Count(), err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v.Count(), classify(err)
	}
	var seq int64
	var hash string
	if err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &hash); err != nil {
		return v.Count(), classify(err)
	}
	return v.Count(), v.Finish(seq, hash)
}
