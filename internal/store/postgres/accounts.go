package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/store"
)

const accountColumns = "id, name, role, password_hash, created_at, disabled, totp_secret, totp_enabled, totp_step, recovery, pending_role, pending_by, pending_create"

func scanAccount(r pgx.Row) (auth.Account, error) {
	var a auth.Account
	var role, recovery, pending string
	err := r.Scan(&a.ID, &a.Name, &role, &a.PasswordHash, &a.CreatedAt, &a.Disabled,
		&a.TOTPSecret, &a.TOTPEnabled, &a.TOTPStep, &recovery, &pending, &a.PendingBy, &a.PendingCreate)
	a.Role, a.PendingRole, a.CreatedAt = auth.Role(role), auth.Role(pending), utc(a.CreatedAt)
	if recovery != "" {
		a.Recovery = strings.Split(recovery, ",")
	}
	return a, err
}

// accountValues are the stored columns of a after id and name, in
// accountColumns' order from role.
func accountValues(a auth.Account) []any {
	return []any{string(a.Role), a.PasswordHash, a.CreatedAt, a.Disabled,
		a.TOTPSecret, a.TOTPEnabled, a.TOTPStep, strings.Join(a.Recovery, ","), string(a.PendingRole), a.PendingBy, a.PendingCreate}
}

// CreateAccount implements auth.Store.
func (s *Store) CreateAccount(ctx context.Context, a auth.Account, by audit.Actor) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO accounts (name, role, password_hash, created_at, disabled, totp_secret, totp_enabled, totp_step, recovery, pending_role, pending_by, pending_create)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (name) DO NOTHING`,
			append([]any{a.Name}, accountValues(a)...)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return apperr.Conflictf("account %q already exists", a.Name)
		}
		e := audit.New(by, "account.add", a.Name, nil, store.AccountState(a))
		e.At = a.CreatedAt
		return s.appendAudit(ctx, tx, e)
	})
}

// Account implements auth.Store.
func (s *Store) Account(ctx context.Context, name string) (auth.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, "SELECT "+accountColumns+" FROM accounts WHERE name = $1", name))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, apperr.NotFoundf("no account %q", name)
	}
	return a, classify(err)
}

// UpdateAccount implements auth.Store. The account's row is locked.
func (s *Store) UpdateAccount(ctx context.Context, name, action string, at time.Time, change func(*auth.Account) error, by audit.Actor) (auth.Account, error) {
	var out auth.Account
	err := s.tx(ctx, func(tx pgx.Tx) error {
		before, err := scanAccount(tx.QueryRow(ctx, "SELECT "+accountColumns+" FROM accounts WHERE name = $1 FOR UPDATE", name))
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("no account %q", name)
		}
		if err != nil {
			return err
		}
		out = before
		out.Recovery = append([]string(nil), before.Recovery...)
		if err := change(&out); err != nil {
			return err
		}
		out.ID, out.Name, out.CreatedAt = before.ID, before.Name, before.CreatedAt
		if _, err := tx.Exec(ctx, `UPDATE accounts SET role = $1, password_hash = $2, created_at = $3, disabled = $4, totp_secret = $5,
			totp_enabled = $6, totp_step = $7, recovery = $8, pending_role = $9, pending_by = $10, pending_create = $11 WHERE id = $12`,
			append(accountValues(out), out.ID)...); err != nil {
			return err
		}
		e := audit.New(by, action, name, store.AccountState(before), store.AccountState(out))
		e.At = at
		return s.appendAudit(ctx, tx, e)
	})
	return out, err
}

// EndSessions implements auth.Store.
func (s *Store) EndSessions(ctx context.Context, name, except string, tokens bool, at time.Time, by audit.Actor) (int, int, error) {
	var sessions, revoked int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, "SELECT id FROM accounts WHERE name = $1 FOR UPDATE", name).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("no account %q", name)
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2", id, except)
		if err != nil {
			return err
		}
		sessions = tag.RowsAffected()
		if tokens {
			tag, err := tx.Exec(ctx, "UPDATE tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL", at, id)
			if err != nil {
				return err
			}
			revoked = tag.RowsAffected()
		}
		e := audit.New(by, "account.end_sessions", name, nil, map[string]any{"sessions": sessions, "tokens_revoked": revoked})
		e.At = at
		return s.appendAudit(ctx, tx, e)
	})
	return int(sessions), int(revoked), err
}

// Accounts implements auth.Store.
func (s *Store) Accounts(ctx context.Context) ([]auth.Account, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+accountColumns+" FROM accounts ORDER BY name")
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []auth.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, classify(rows.Err())
}

const tokenColumns = "t.id, t.name, a.name, t.role, t.secret_hash, t.created_at, t.revoked_at, t.last_used_at"

func scanToken(r pgx.Row) (auth.Token, error) {
	var t auth.Token
	var role string
	err := r.Scan(&t.ID, &t.Name, &t.Account, &role, &t.SecretHash, &t.CreatedAt, &t.RevokedAt, &t.LastUsedAt)
	t.Role, t.CreatedAt, t.RevokedAt, t.LastUsedAt = auth.Role(role), utc(t.CreatedAt), utcp(t.RevokedAt), utcp(t.LastUsedAt)
	return t, err
}

// CreateToken implements auth.Store.
func (s *Store) CreateToken(ctx context.Context, t auth.Token, by audit.Actor) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO tokens (id, name, account_id, role, secret_hash, created_at)
			SELECT $1, $2, id, $3, $4, $5 FROM accounts WHERE name = $6`, t.ID, t.Name, string(t.Role), t.SecretHash, t.CreatedAt, t.Account)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return apperr.NotFoundf("no account %q", t.Account)
		}
		e := audit.New(by, "token.create", t.Account, nil, map[string]any{"id": t.ID, "name": t.Name, "role": t.Role})
		e.At = t.CreatedAt
		return s.appendAudit(ctx, tx, e)
	})
}

func getToken(ctx context.Context, q querier, id string, lock bool) (auth.Token, error) {
	sql := "SELECT " + tokenColumns + " FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE t.id = $1"
	if lock {
		sql += " FOR UPDATE OF t"
	}
	t, err := scanToken(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, apperr.NotFoundf("no token %q", id)
	}
	return t, classify(err)
}

// TokenByID implements auth.Store.
func (s *Store) TokenByID(ctx context.Context, id string) (auth.Token, error) {
	return getToken(ctx, s.pool, id, false)
}

// Tokens implements auth.Store.
func (s *Store) Tokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+tokenColumns+" FROM tokens t JOIN accounts a ON a.id = t.account_id ORDER BY t.created_at DESC")
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []auth.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, classify(rows.Err())
}

// RevokeToken implements auth.Store.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time, by audit.Actor) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		t, err := getToken(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return apperr.Conflictf("token %q is revoked already", id)
		}
		if _, err := tx.Exec(ctx, "UPDATE tokens SET revoked_at = $1 WHERE id = $2", at, id); err != nil {
			return err
		}
		e := audit.New(by, "token.revoke", t.Account, map[string]any{"id": t.ID, "name": t.Name, "role": t.Role}, nil)
		e.At = at
		return s.appendAudit(ctx, tx, e)
	})
}

// TouchToken implements auth.Store.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx, "UPDATE tokens SET last_used_at = $1 WHERE id = $2", at, id)
	return classify(err)
}

// CreateSession implements auth.Store.
func (s *Store) CreateSession(ctx context.Context, ss auth.Session) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE expires_at < $1", ss.CreatedAt); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, account_id, csrf, created_at, expires_at)
			SELECT $1, id, $2, $3, $4 FROM accounts WHERE name = $5`, ss.IDHash, ss.CSRF, ss.CreatedAt, ss.ExpiresAt, ss.Account)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return apperr.NotFoundf("no account %q", ss.Account)
		}
		return nil
	})
}

// SessionByHash implements auth.Store.
func (s *Store) SessionByHash(ctx context.Context, idHash string, now time.Time) (auth.Session, error) {
	var ss auth.Session
	var role string
	err := s.pool.QueryRow(ctx, `SELECT s.id_hash, a.name, a.role, s.csrf, s.created_at, s.expires_at
		FROM sessions s JOIN accounts a ON a.id = s.account_id
		WHERE s.id_hash = $1 AND s.expires_at > $2 AND NOT a.disabled`, idHash, now).
		Scan(&ss.IDHash, &ss.Account, &role, &ss.CSRF, &ss.CreatedAt, &ss.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return ss, apperr.Unauthorizedf("the session has expired; sign in again")
	}
	ss.Role, ss.CreatedAt, ss.ExpiresAt = auth.Role(role), utc(ss.CreatedAt), utc(ss.ExpiresAt)
	return ss, classify(err)
}

// DeleteSession implements auth.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE id_hash = $1", idHash)
	return classify(err)
}
