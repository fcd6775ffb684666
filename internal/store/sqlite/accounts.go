package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/store"
)

func scanAccount(r scanner) (auth.Account, error) {
	var a auth.Account
	var role, created, recovery, pending string
	if err := r.Scan(&a.ID, &a.Name, &role, &a.PasswordHash, &created, &a.Disabled,
		&a.TOTPSecret, &a.TOTPEnabled, &a.TOTPStep, &recovery, &pending, &a.PendingBy, &a.PendingCreate); err != nil {
		return a, err
	}
	a.Role, a.PendingRole, a.Recovery = auth.Role(role), auth.Role(pending), splitIDs(recovery)
	var err error
	a.CreatedAt, err = parseTime(created)
	return a, err
}

const accountColumns = "id, name, role, password_hash, created_at, disabled, totp_secret, totp_enabled, totp_step, recovery, pending_role, pending_by, pending_create"

// accountValues are the stored columns of a after id and name, in
// accountColumns' order from role.
func accountValues(a auth.Account) []any {
	return []any{string(a.Role), a.PasswordHash, formatTime(a.CreatedAt), a.Disabled,
		a.TOTPSecret, a.TOTPEnabled, a.TOTPStep, strings.Join(a.Recovery, ","), string(a.PendingRole), a.PendingBy, a.PendingCreate}
}

// CreateAccount implements auth.Store.
func (s *Store) CreateAccount(ctx context.Context, a auth.Account, by audit.Actor) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM accounts WHERE name = ?", a.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.Conflictf("account %q already exists", a.Name)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO accounts (name, role, password_hash, created_at, disabled, totp_secret, totp_enabled, totp_step, recovery, pending_role, pending_by, pending_create) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			append([]any{a.Name}, accountValues(a)...)...); err != nil {
			return err
		}
		e := audit.New(by, "account.add", a.Name, nil, store.AccountState(a))
		e.At = a.CreatedAt
		return s.appendAudit(ctx, tx, e)
	})
}

// Account implements auth.Store.
func (s *Store) Account(ctx context.Context, name string) (auth.Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return a, apperr.NotFoundf("no account %q", name)
	}
	return a, classify(err)
}

// UpdateAccount implements auth.Store.
func (s *Store) UpdateAccount(ctx context.Context, name, action string, at time.Time, change func(*auth.Account) error, by audit.Actor) (auth.Account, error) {
	var out auth.Account
	err := s.tx(ctx, func(tx *sql.Tx) error {
		before, err := scanAccount(tx.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts WHERE name = ?", name))
		if errors.Is(err, sql.ErrNoRows) {
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
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET role = ?, password_hash = ?, created_at = ?, disabled = ?, totp_secret = ?,
			totp_enabled = ?, totp_step = ?, recovery = ?, pending_role = ?, pending_by = ?, pending_create = ? WHERE id = ?`,
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
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM accounts WHERE name = ?", name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("no account %q", name)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE account_id = ? AND id_hash <> ?", id, except)
		if err != nil {
			return err
		}
		sessions, _ = res.RowsAffected()
		if tokens {
			res, err := tx.ExecContext(ctx, "UPDATE tokens SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL", formatTime(at), id)
			if err != nil {
				return err
			}
			revoked, _ = res.RowsAffected()
		}
		e := audit.New(by, "account.end_sessions", name, nil, map[string]any{"sessions": sessions, "tokens_revoked": revoked})
		e.At = at
		return s.appendAudit(ctx, tx, e)
	})
	return int(sessions), int(revoked), err
}

// Accounts implements auth.Store.
func (s *Store) Accounts(ctx context.Context) ([]auth.Account, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+accountColumns+" FROM accounts ORDER BY name")
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
	return out, rows.Err()
}

const tokenColumns = "t.id, t.name, a.name, t.role, t.secret_hash, t.created_at, t.revoked_at, t.last_used_at"

func scanToken(r scanner) (auth.Token, error) {
	var t auth.Token
	var role, created string
	var revoked, used sql.NullString
	if err := r.Scan(&t.ID, &t.Name, &t.Account, &role, &t.SecretHash, &created, &revoked, &used); err != nil {
		return t, err
	}
	t.Role = auth.Role(role)
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return t, err
	}
	if t.RevokedAt, err = parseNullTime(revoked); err != nil {
		return t, err
	}
	t.LastUsedAt, err = parseNullTime(used)
	return t, err
}

// CreateToken implements auth.Store.
func (s *Store) CreateToken(ctx context.Context, t auth.Token, by audit.Actor) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, name, account_id, role, secret_hash, created_at)
			SELECT ?, ?, id, ?, ?, ? FROM accounts WHERE name = ?`,
			t.ID, t.Name, string(t.Role), t.SecretHash, formatTime(t.CreatedAt), t.Account)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.NotFoundf("no account %q", t.Account)
		}
		e := audit.New(by, "token.create", t.Account, nil, map[string]any{"id": t.ID, "name": t.Name, "role": t.Role})
		e.At = t.CreatedAt
		return s.appendAudit(ctx, tx, e)
	})
}

// TokenByID implements auth.Store.
func (s *Store) TokenByID(ctx context.Context, id string) (auth.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE t.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, apperr.NotFoundf("no token %q", id)
	}
	return t, classify(err)
}

// Tokens implements auth.Store.
func (s *Store) Tokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+tokenColumns+" FROM tokens t JOIN accounts a ON a.id = t.account_id ORDER BY t.created_at DESC")
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
	return out, rows.Err()
}

// RevokeToken implements auth.Store.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time, by audit.Actor) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		t, err := scanToken(tx.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE t.id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("no token %q", id)
		}
		if err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return apperr.Conflictf("token %q is revoked already", id)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE tokens SET revoked_at = ? WHERE id = ?", formatTime(at), id); err != nil {
			return err
		}
		e := audit.New(by, "token.revoke", t.Account, map[string]any{"id": t.ID, "name": t.Name, "role": t.Role}, nil)
		e.At = at
		return s.appendAudit(ctx, tx, e)
	})
}

// TouchToken implements auth.Store.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, "UPDATE tokens SET last_used_at = ? WHERE id = ?", formatTime(at), id)
	return classify(err)
}

// CreateSession implements auth.Store. Expired sessions are removed on the way.
func (s *Store) CreateSession(ctx context.Context, ss auth.Session) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < ?", formatTime(ss.CreatedAt)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, account_id, csrf, created_at, expires_at)
			SELECT ?, id, ?, ?, ? FROM accounts WHERE name = ?`,
			ss.IDHash, ss.CSRF, formatTime(ss.CreatedAt), formatTime(ss.ExpiresAt), ss.Account)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.NotFoundf("no account %q", ss.Account)
		}
		return nil
	})
}

// SessionByHash implements auth.Store: an unexpired session of an enabled account.
func (s *Store) SessionByHash(ctx context.Context, idHash string, now time.Time) (auth.Session, error) {
	var ss auth.Session
	var role, created, expires string
	err := s.db.QueryRowContext(ctx, `SELECT s.id_hash, a.name, a.role, s.csrf, s.created_at, s.expires_at
		FROM sessions s JOIN accounts a ON a.id = s.account_id
		WHERE s.id_hash = ? AND s.expires_at > ? AND a.disabled = 0`, idHash, formatTime(now)).
		Scan(&ss.IDHash, &ss.Account, &role, &ss.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return ss, apperr.Unauthorizedf("the session has expired; sign in again")
	}
	if err != nil {
		return ss, classify(err)
	}
	ss.Role = auth.Role(role)
	if ss.CreatedAt, err = parseTime(created); err != nil {
		return ss, err
	}
	ss.ExpiresAt, err = parseTime(expires)
	return ss, err
}

// DeleteSession implements auth.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = ?", idHash)
	return classify(err)
}
