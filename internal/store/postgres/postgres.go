// Package postgres is oabadge's scale-out store: several stateless
// replicas share one PostgreSQL database, and a change made through any of
// them reaches the others at once through LISTEN/NOTIFY, with polling as a
// backstop. It behaves as the SQLite store does: both pass storetest.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	cfg  *pgx.ConnConfig
	key  audit.Key // seals the audit trail; never stored in the database
}

var _ store.Store = (*Store)(nil)

// channel is the NOTIFY channel every change is announced on.
const channel = "oabadge_changes"

// Open connects to dsn and brings the schema up to date. Several replicas
// may start at once: migrations run under an advisory lock. key seals the
// audit trail: every replica and command must use the same one, and Open
// refuses a trail sealed with another.
func Open(ctx context.Context, dsn string, key audit.Key) (*Store, error) {
	if key.IsZero() {
		return nil, errors.New("postgres: no audit key")
	}
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %v", err)
	}
	pcfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %v", err)
	}
	s := &Store{pool: pool, cfg: pcfg.ConnConfig, key: key}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := s.checkAuditKey(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error { s.pool.Close(); return nil }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// keyedAuditMigration is the migration after which the audit trail is
// sealed with the key; its transaction appends the seal entry.
const keyedAuditMigration = 20

func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	return s.tx(ctx, func(tx pgx.Tx) error {
		// One migrator at a time, across replicas.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7261001)"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"); err != nil {
			return err
		}
		var cur int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&cur); err != nil {
			return err
		}
		for _, name := range names {
			n, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0])
			if err != nil {
				return fmt.Errorf("migration %s: name must start with its number", name)
			}
			if n <= cur {
				continue
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			if n == keyedAuditMigration {
				if err := s.sealAudit(ctx, tx); err != nil {
					return fmt.Errorf("migration %s: %w", name, err)
				}
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_version (version) VALUES ($1)", n); err != nil {
				return err
			}
		}
		return nil
	})
}

// tx runs fn in a transaction, committing if it returns nil.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx)
		return classify(err)
	}
	return classify(tx.Commit(ctx))
}

// classify turns failures to reach the database into Unavailable, which
// the HTTP layer answers with 503.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "25006", strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "57P"), strings.HasPrefix(pe.Code, "53"):
			return apperr.Unavailablef(err, "the database cannot take writes now; try again later")
		}
		return err
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || errors.Is(err, pgx.ErrTxClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "connection refused") {
		return apperr.Unavailablef(err, "the database cannot be reached now; try again later")
	}
	return err
}

// notify announces a change to every replica; it is delivered on commit.
func notify(ctx context.Context, tx pgx.Tx, what string) error {
	_, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", channel, what)
	return err
}

// Watch implements campaign.Watcher: LISTEN first, then call changed("")
// (so a change made between the two is read), then call it with the slug
// each notification names ("" for '*', after a load). It returns when the
// listening connection fails; the caller re-watches, which reads
// everything again, and polls meanwhile.
func (s *Store) Watch(ctx context.Context, changed func(slug string)) error {
	conn, err := pgx.ConnectConfig(ctx, s.cfg)
	if err != nil {
		return classify(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return classify(err)
	}
	changed("")
	for {
		n, err := conn.WaitForNotification(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return classify(err)
		case n.Payload == "*" || n.Payload == "":
			changed("")
		default:
			changed(n.Payload)
		}
	}
}

// utc reads times back in UTC, as the SQLite store returns them.
func utc(t time.Time) time.Time { return t.UTC() }

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Reset empties every table, for tests, which share one database: it
// leaves the store as Open leaves a new one, its trail holding the seal
// entry alone.
func (s *Store) Reset(ctx context.Context) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
		ALTER TABLE audit DISABLE TRIGGER audit_no_change;
		TRUNCATE checks, counts, agencies, sessions, tokens, accounts, proposals, targets, campaigns, emblems, audit RESTART IDENTITY CASCADE;
		ALTER TABLE audit ENABLE TRIGGER audit_no_change;
		UPDATE audit_head SET seq = 0, hash = '`+audit.Genesis+`' WHERE id = 1;`); err != nil {
			return err
		}
		return s.sealAudit(ctx, tx)
	})
}
