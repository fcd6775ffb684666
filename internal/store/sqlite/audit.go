package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/oabadge/oabadge/internal/audit"
)

// appendAudit seals e with the store's key after the chain's head and
// appends it, in tx, so the entry exists exactly when the change it records
// does.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e audit.Entry) error {
	var seq int64
	var hash string
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &hash); err != nil {
		return err
	}
	s.key.Seal(&e, seq, hash)
	if err := insertAudit(ctx, tx, e); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", e.Seq, e.Hash)
	return err
}

func insertAudit(ctx context.Context, tx *sql.Tx, e audit.Entry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (`+auditColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, formatTime(e.At), e.Actor, e.Role, e.Action, e.Subject, e.Before, e.After, e.IP, e.UserAgent, e.Approval, e.PrevHash, e.Hash, e.Chain)
	return err
}

// sealAudit appends the entry that starts the keyed chain. It runs once,
// in the transaction of the migration that introduced keyed chains (or that
// created the database), never later: a trail found empty or unkeyed
// afterwards was emptied or rewritten, and must not be blessed again.
func (s *Store) sealAudit(ctx context.Context, tx *sql.Tx) error {
	return s.appendAudit(ctx, tx, audit.SealEntry(s.key, time.Now()))
}

// checkAuditKey refuses to open a trail sealed with another key, so a
// replica or command given the wrong key file fails at once rather than
// append entries nobody can verify.
func (s *Store) checkAuditKey(ctx context.Context) error {
	e, err := scanAudit(s.db.QueryRowContext(ctx, "SELECT "+auditColumns+" FROM audit WHERE action = ? ORDER BY seq DESC LIMIT 1", audit.SealAction))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return audit.CheckSealKey(e, s.key)
}

const auditColumns = "seq, at, actor, role, action, subject, before, after, ip, user_agent, approval, prev_hash, hash, chain"

func scanAudit(r scanner) (audit.Entry, error) {
	var e audit.Entry
	var at string
	if err := r.Scan(&e.Seq, &at, &e.Actor, &e.Role, &e.Action, &e.Subject, &e.Before, &e.After, &e.IP, &e.UserAgent, &e.Approval, &e.PrevHash, &e.Hash, &e.Chain); err != nil {
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

// VerifyAudit implements audit.Reader.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	v, err := s.CheckAudit(ctx, audit.Head{})
	return v.Entries, err
}

// CheckAudit implements audit.Reader: it walks the whole chain in order,
// in one read transaction, with the store's key.
func (s *Store) CheckAudit(ctx context.Context, recorded audit.Head) (audit.Verified, error) {
	out := audit.Verified{KeyID: s.key.ID()}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, classify(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "SELECT "+auditColumns+" FROM audit ORDER BY seq")
	if err != nil {
		return out, err
	}
	defer rows.Close()
	v := audit.NewVerifier(s.key, recorded)
	for rows.Next() {
		e, err := scanAudit(rows)
		if err == nil {
			err = v.Next(e)
		}
		if err != nil {
			out.Entries = v.Count()
			return out, err
		}
	}
	out.Entries, out.Head = v.Count(), v.Head()
	if err := rows.Err(); err != nil {
		return out, err
	}
	var head audit.Head
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&head.Seq, &head.Hash); err != nil {
		return out, err
	}
	return out, v.Finish(head)
}
