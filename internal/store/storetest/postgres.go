package storetest

import (
	"context"
	"errors"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// fresh remembers the databases this process has made anew.
var fresh = struct {
	sync.Mutex
	made map[string]bool
}{made: map[string]bool{}}

// PostgresDSN returns the DSN of a database of its own for the calling
// test package, named name, created on the server OABADGE_TEST_POSTGRES_DSN
// points at (packages run in parallel and must not share one). Without
// that variable the test is skipped, saying so.
func PostgresDSN(t *testing.T, name string) string {
	t.Helper()
	base := os.Getenv("OABADGE_TEST_POSTGRES_DSN")
	if base == "" {
		t.Skip("OABADGE_TEST_POSTGRES_DSN is not set: skipping the PostgreSQL tests (.ci/run sets it)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to OABADGE_TEST_POSTGRES_DSN: %v", err)
	}
	defer conn.Close(ctx)
	// Made anew once per test process: a database left by an earlier run
	// has its audit trail sealed with that run's key (see Key), and its
	// schema may be another version's.
	fresh.Lock()
	defer fresh.Unlock()
	if !fresh.made[name] {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Fatalf("dropping database %s: %v", name, err)
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42P04" { // 42P04: it exists already
				t.Fatalf("creating database %s: %v", name, err)
			}
		}
		fresh.made[name] = true
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
