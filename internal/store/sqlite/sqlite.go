// Package sqlite is oabadge's default store: one SQLite file, through the
// pure-Go modernc.org/sqlite driver so the binary builds with CGO_ENABLED=0
// and runs anywhere without a C toolchain.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/campaign"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a campaign.Store on one SQLite file. It is safe for concurrent use
// by many goroutines and by several processes on the same file.
type Store struct {
	db   *sql.DB
	path string
}

var (
	_ campaign.Store   = (*Store)(nil)
	_ campaign.Watcher = (*Store)(nil)
)

// dsn returns the driver DSN for path. Pragmas go in the DSN because they
// are per connection and database/sql opens connections whenever it likes:
//
//   - journal_mode(WAL): readers never block the writer, so serving and
//     admin writes do not wait on each other.
//   - synchronous(FULL): in WAL mode NORMAL can lose the last acknowledged
//     transactions on power loss; a rotation the admin saw succeed must
//     survive, and writes are rare, so pay for the fsync.
//   - busy_timeout(10000): wait for another process's write lock rather
//     than fail at once.
//   - foreign_keys(ON): off by default in SQLite, for compatibility only.
//
// _txlock=immediate makes every transaction take the write lock at BEGIN,
// so a read-then-write transaction cannot fail with SQLITE_BUSY half way.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path, with its
// directory, and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: creating %s: %w", dir, err)
		}
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// migrate applies, in order, every embedded migration newer than the
// database's user_version, each in its own transaction together with the
// version bump, so a crash leaves the schema at one version or the next.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if err := s.tx(ctx, func(tx *sql.Tx) error {
			var cur int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
				return err
			}
			if cur >= n {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n))
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// tx runs fn in a transaction, committing if it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(err)
	}
	return classify(tx.Commit())
}

// classify turns driver errors the caller can act on into apperr kinds.
func classify(err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return apperr.Unavailablef(err, "the database cannot take writes now; try again later")
	}
	return err
}

const timeFormat = time.RFC3339Nano

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeFormat, s) }

const campaignColumns = "slug, title, caption, qr_mode, target, version, created_at, updated_at"

type scanner interface{ Scan(...any) error }

func scanCampaign(r scanner) (campaign.Campaign, error) {
	var c campaign.Campaign
	var mode, created, updated string
	if err := r.Scan(&c.Slug, &c.Title, &c.Caption, &mode, &c.Target, &c.Version, &created, &updated); err != nil {
		return c, err
	}
	c.QRMode = campaign.QRMode(mode)
	var err error
	if c.CreatedAt, err = parseTime(created); err != nil {
		return c, err
	}
	c.UpdatedAt, err = parseTime(updated)
	return c, err
}

// Campaigns implements campaign.Store.
func (s *Store) Campaigns(ctx context.Context) ([]campaign.Campaign, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+campaignColumns+" FROM campaigns ORDER BY slug")
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
	return out, rows.Err()
}

// Campaign implements campaign.Store.
func (s *Store) Campaign(ctx context.Context, slug string) (campaign.Campaign, error) {
	c, err := scanCampaign(s.db.QueryRowContext(ctx, "SELECT "+campaignColumns+" FROM campaigns WHERE slug = ?", slug))
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.NotFoundf("no campaign %q", slug)
	}
	return c, classify(err)
}

// CreateCampaign implements campaign.Store.
func (s *Store) CreateCampaign(ctx context.Context, c campaign.Campaign, actor string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var exists int
		err := tx.QueryRowContext(ctx, "SELECT count(*) FROM campaigns WHERE slug = ?", c.Slug).Scan(&exists)
		if err != nil {
			return err
		}
		if exists > 0 {
			return apperr.Conflictf("campaign %q already exists", c.Slug)
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO campaigns ("+campaignColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			c.Slug, c.Title, c.Caption, string(c.QRMode), c.Target, c.Version, formatTime(c.CreatedAt), formatTime(c.UpdatedAt))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO targets (campaign_id, version, target, actor, created_at) VALUES (?, ?, ?, ?, ?)",
			id, c.Version, c.Target, actor, formatTime(c.CreatedAt))
		return err
	})
}

// Rotate implements campaign.Store.
func (s *Store) Rotate(ctx context.Context, slug string, expect int64, target, actor string, at time.Time) (campaign.Campaign, error) {
	var c campaign.Campaign
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		var err error
		c, err = scanCampaign(tx.QueryRowContext(ctx, "SELECT "+campaignColumns+" FROM campaigns WHERE slug = ?", slug))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("no campaign %q", slug)
		}
		if err != nil {
			return err
		}
		if expect != 0 && expect != c.Version {
			return apperr.Conflictf("campaign %q is at version %d, not %d: reload and try again", slug, c.Version, expect)
		}
		if err := tx.QueryRowContext(ctx, "SELECT id FROM campaigns WHERE slug = ?", slug).Scan(&id); err != nil {
			return err
		}
		c.Version++
		c.Target = target
		c.UpdatedAt = at.UTC()
		if _, err := tx.ExecContext(ctx, "INSERT INTO targets (campaign_id, version, target, actor, created_at) VALUES (?, ?, ?, ?, ?)",
			id, c.Version, target, actor, formatTime(at)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE campaigns SET target = ?, version = ?, updated_at = ? WHERE id = ?",
			target, c.Version, formatTime(at), id)
		return err
	})
	return c, err
}

// History implements campaign.Store.
func (s *Store) History(ctx context.Context, slug string) ([]campaign.Revision, error) {
	if _, err := s.Campaign(ctx, slug); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t.version, t.target, t.actor, t.created_at
		FROM targets t JOIN campaigns c ON c.id = t.campaign_id
		WHERE c.slug = ? ORDER BY t.version DESC`, slug)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []campaign.Revision
	for rows.Next() {
		var r campaign.Revision
		var at string
		if err := rows.Scan(&r.Version, &r.Target, &r.Actor, &at); err != nil {
			return nil, err
		}
		if r.CreatedAt, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// WatchInterval is how often Watch looks for commits by other connections.
const WatchInterval = 200 * time.Millisecond

// Watch implements campaign.Watcher. SQLite has no notifications, but
// PRAGMA data_version, read on one connection, changes whenever any other
// connection (in this process or another) commits: reading it is a few
// microseconds, so polling it often costs nothing and a rotation made by
// `oabadge rotate` reaches a running server within WatchInterval.
func (s *Store) Watch(ctx context.Context, changed func()) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var last int64
	if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&last); err != nil {
		return err
	}
	// Read after the first data_version, so nothing committed in between is missed.
	changed()
	t := time.NewTicker(WatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		var v int64
		if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
			return err
		}
		if v != last {
			last = v
			changed()
		}
	}
}

// IntegrityCheck runs SQLite's own consistency check and returns its
// complaints, or nil when the file is sound.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("sqlite: integrity check: %s", strings.Join(problems, "; "))
	}
	return nil
}
