package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/oabadge/oabadge/internal/audit"
)

// appendAudit seals e after the chain's head and appends it, in tx, so the
// entry exists exactly when the change it records does.
func appendAudit(ctx context.Context, tx *sql.Tx, e audit.Entry) error {
	var seq int64
	var hash string
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &hash); err != nil {
		return err
	}
	e.At = e.At.UTC()
	audit.Seal(&e, seq, hash)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (seq, at, actor, role, action, subject, before, after, ip, user_agent, approval, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, formatTime(e.At), e.Actor, e.Role, e.Action, e.Subject, e.Before, e.After, e.IP, e.UserAgent, e.Approval, e.PrevHash, e.Hash); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", e.Seq, e.Hash)
	return err
}

const auditColumns = "seq, at, actor, role, action, subject, before, after, ip, user_agent, approval, prev_hash, hash"

func scanAudit(r scanner) (audit.Entry, error) {
	var e audit.Entry
	var at string
	if err := r.Scan(&e.Seq, &at, &e.Actor, &e.Role, &e.Action, &e.Subject, &e.Before, &e.After, &e.IP, &e.UserAgent, &e.Approval, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	var err error
	e.At, err = parseTime(at)
	return e, err
}

// AuditEntries returns the entries f selects, newest first.
func (s *Store) AuditEntries(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(f.Action), f.Action)
		} else {
			where, args = append(where, "action = ?"), append(args, f.Action)
		}
	}
	if f.Subject != "" {
		where, args = append(where, "subject = ?"), append(args, f.Subject)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, formatTime(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, formatTime(f.Until))
	}
	q := "SELECT " + auditColumns + " FROM audit"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 100_000 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY seq DESC LIMIT ?", append(args, limit)...)
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
	return out, rows.Err()
}

// VerifyAudit walks the whole chain in order, in one read transaction, and
// returns the number of entries, or an *audit.BadEntryError naming the
// first bad one.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, classify(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "SELECT "+auditColumns+" FROM audit ORDER BY seq")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	v := audit.NewVerifier()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return v.Count(), err
		}
		if err := v.Next(e); err != nil {
			return v.Count(), err
		}
	}
	if err := rows.Err(); err != nil {
		return v.Count(), err
	}
	var seq int64
	var hash string
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &hash); err != nil {
		return v.Count(), err
	}
	return v.Count(), v.Finish(seq, hash)
}
