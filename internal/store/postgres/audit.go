package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oabadge/oabadge/internal/audit"
)

// appendAudit seals e with the store's key after the chain's head and
// appends it in tx. The head row is locked, so replicas append one at a
// time.
func (s *Store) appendAudit(ctx context.Context, tx pgx.Tx, e audit.Entry) error {
	var seq int64
	var hash string
	if err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE").Scan(&seq, &hash); err != nil {
		return err
	}
	s.key.Seal(&e, seq, hash)
	if _, err := tx.Exec(ctx, insertAudit, auditArgs(e)...); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", e.Seq, e.Hash)
	return err
}

const insertAudit = `INSERT INTO audit (` + auditColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`

func auditArgs(e audit.Entry) []any {
	return []any{e.Seq, e.At, e.Actor, e.Role, e.Action, e.Subject, e.Before, e.After, e.IP, e.UserAgent, e.Approval, e.PrevHash, e.Hash, e.Chain}
}

// sealAudit appends the entry that starts the keyed chain. It runs once,
// in the transaction of the migration that introduced keyed chains (or that
// created the database), never later: a trail found empty or unkeyed
// afterwards was emptied or rewritten, and must not be blessed again.
func (s *Store) sealAudit(ctx context.Context, tx pgx.Tx) error {
	return s.appendAudit(ctx, tx, audit.SealEntry(s.key, time.Now()))
}

// checkAuditKey refuses to open a trail sealed with another key, so a
// replica or command given the wrong key file fails at once rather than
// append entries nobody can verify.
func (s *Store) checkAuditKey(ctx context.Context) error {
	e, err := scanAudit(s.pool.QueryRow(ctx, "SELECT "+auditColumns+" FROM audit WHERE action = $1 ORDER BY seq DESC LIMIT 1", audit.SealAction))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return classify(err)
	}
	return audit.CheckSealKey(e, s.key)
}

const auditColumns = "seq, at, actor, role, action, subject, before, after, ip, user_agent, approval, prev_hash, hash, chain"

func scanAudit(r pgx.Row) (audit.Entry, error) {
	var e audit.Entry
	err := r.Scan(&e.Seq, &e.At, &e.Actor, &e.Role, &e.Action, &e.Subject, &e.Before, &e.After, &e.IP, &e.UserAgent, &e.Approval, &e.PrevHash, &e.Hash, &e.Chain)
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

// VerifyAudit implements audit.Reader.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	v, err := s.CheckAudit(ctx, audit.Head{})
	return v.Entries, err
}

// CheckAudit implements audit.Reader, in one repeatable-read snapshot,
// with the store's key.
func (s *Store) CheckAudit(ctx context.Context, recorded audit.Head) (audit.Verified, error) {
	out := audit.Verified{KeyID: s.key.ID()}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return out, classify(err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, "SELECT "+auditColumns+" FROM audit ORDER BY seq")
	if err != nil {
		return out, classify(err)
	}
	v := audit.NewVerifier(s.key, recorded)
	for rows.Next() {
		e, err := scanAudit(rows)
		if err == nil {
			err = v.Next(e)
		}
		if err != nil {
			rows.Close()
			out.Entries = v.Count()
			return out, err
		}
	}
	rows.Close()
	out.Entries, out.Head = v.Count(), v.Head()
	if err := rows.Err(); err != nil {
		return out, classify(err)
	}
	var head audit.Head
	if err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&head.Seq, &head.Hash); err != nil {
		return out, classify(err)
	}
	return out, v.Finish(head)
}
