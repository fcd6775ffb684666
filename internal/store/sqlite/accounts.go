package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
)

func scanAccount(r scanner) (auth.Account, error) {
	var a auth.Account
	var role, created string
	var disabled int
	if err := r.Scan(&a.ID, &a.Name, &role, &a.PasswordHash, &created, &disabled); err != nil {
		return a, err
	}
	a.Role, a.Disabled = auth.Role(role), disabled != 0
	var err error
	a.CreatedAt, err = parseTime(created)
	return a, err
}

const accountColumns = "id, name, role, password_hash, created_at, disabled"

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
		if _, err := tx.ExecContext(ctx, "INSERT INTO accounts (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
			a.Name, string(a.Role), a.PasswordHash, formatTime(a.CreatedAt)); err != nil {
			return err
		}
		e := audit.New(by, "account.add", a.Name, nil, map[string]any{"role": a.Role})
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
