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
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a campaign.Store on one SQLite file. It is safe for concurrent use
// by many goroutines and by several processes on the same file.
type Store struct {
	db   *sql.DB
	path string
	key  audit.Key // seals the audit trail; never stored in the database
}

var (
	_ campaign.Store   = (*Store)(nil)
	_ campaign.Watcher = (*Store)(nil)
	_ auth.Store       = (*Store)(nil)
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
// directory, and brings its schema up to date. key seals the audit trail:
// every process on the file must use the same one, and Open refuses a
// trail sealed with another.
//
// The file and its -wal and -shm companions are made readable by their
// owner only (0600), whatever the umask: they hold password hashes and
// the audit trail.
func Open(ctx context.Context, path string, key audit.Key) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if key.IsZero() {
		return nil, errors.New("sqlite: no audit key")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: creating %s: %w", dir, err)
		}
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	s := &Store{db: db, path: path, key: key}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if err := s.checkAuditKey(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if err := privateCompanions(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return s, nil
}

// createPrivate creates the database file, empty and 0600, before the
// driver opens it: SQLite would create it 0644 (less the umask), and
// creates -wal and -shm with the main file's mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// A umask can only take bits away from 0600; set it anyway, so the
	// mode does not depend on the environment at all.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// privateCompanions gives the -wal and -shm files no more access than the
// database file itself: SQLite copies the mode when it creates them, but
// a file left by an older version or another tool may be wider.
func privateCompanions(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	want := fi.Mode().Perm()
	for _, p := range []string{path + "-wal", path + "-shm"} {
		ci, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if ci.Mode().Perm()&^want != 0 {
			if err := os.Chmod(p, ci.Mode().Perm()&want); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// keyedAuditMigration is the migration after which the audit trail is
// sealed with the key; its transaction appends the seal entry.
const keyedAuditMigration = 20

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
			if n == keyedAuditMigration {
				if err := s.sealAudit(ctx, tx); err != nil {
					return fmt.Errorf("migration %s: %w", name, err)
				}
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

// nullTime formats an optional time for a nullable column.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// parseNullTime reads a nullable time column.
func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	return &t, err
}

// WatchInterval is how often Watch looks for commits by other connections.
const WatchInterval = 200 * time.Millisecond

// keepChanges is how many rows of campaign_changes are kept.
const keepChanges = 1000

// changed records, in tx, that the campaign named slug ("*": every one)
// changed, for the watchers of every process on this file.
func changed(ctx context.Context, tx *sql.Tx, slug string) error {
	res, err := tx.ExecContext(ctx, "INSERT INTO campaign_changes (slug) VALUES (?)", slug)
	if err != nil {
		return err
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return err
	}
	if seq%100 == 0 {
		_, err = tx.ExecContext(ctx, "DELETE FROM campaign_changes WHERE seq <= ?", seq-keepChanges)
	}
	return err
}

// Watch implements campaign.Watcher. SQLite has no notifications, but
// PRAGMA data_version, read on one connection, changes whenever any other
// connection (in this process or another) commits: reading it costs a few
// microseconds, so it is polled often, and only when it moved is
// campaign_changes read, to name the campaigns that changed. A commit that
// touched no campaign (a sign-in, a count flush) calls nothing.
func (s *Store) Watch(ctx context.Context, changedFn func(slug string)) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var version, last int64
	if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&version); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM campaign_changes").Scan(&last); err != nil {
		return err
	}
	// Read everything after taking both marks, so nothing committed in
	// between is missed.
	changedFn("")
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
		if v == version {
			continue
		}
		version = v
		slugs, next, err := changesSince(ctx, conn, last)
		if err != nil {
			return err
		}
		last = next
		for _, slug := range slugs {
			changedFn(slug)
		}
	}
}

// changesSince returns the distinct campaigns changed after seq ("" for
// all of them, when some rows were pruned or one says '*'), and the new mark.
func changesSince(ctx context.Context, conn *sql.Conn, seq int64) ([]string, int64, error) {
	rows, err := conn.QueryContext(ctx, "SELECT seq, slug FROM campaign_changes WHERE seq > ? ORDER BY seq", seq)
	if err != nil {
		return nil, seq, err
	}
	defer rows.Close()
	var out []string
	seen := map[string]bool{}
	first, all := true, false
	next := seq
	for rows.Next() {
		var n int64
		var slug string
		if err := rows.Scan(&n, &slug); err != nil {
			return nil, seq, err
		}
		if first && n != seq+1 && seq != 0 {
			all = true // rows in between were pruned: we cannot tell which
		}
		first = false
		next = n
		if slug == "*" {
			all = true
		}
		if !seen[slug] {
			seen[slug] = true
			out = append(out, slug)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, seq, err
	}
	if all {
		return []string{""}, next, nil
	}
	return out, next, nil
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
