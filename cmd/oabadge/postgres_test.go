package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/store/postgres"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// pgDSN is the PostgreSQL database the scale-out tests use; without
// OABADGE_TEST_POSTGRES_DSN they skip.
func pgDSN(t *testing.T) string { return storetest.PostgresDSN(t, "oabadge_test_cmd") }

// emptyPG empties the shared test database. The tests using it run one
// at a time within this package; other packages' tests use their own
// database (see .ci/run).
func emptyPG(t *testing.T, dsn string) {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateSQLiteToPostgres(t *testing.T) {
	dsn := pgDSN(t)
	emptyPG(t, dsn)
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	sqlite := "sqlite:" + db
	ctx := context.Background()
	// Some of everything: the demo, an account and token, a rotation, agencies.
	a := start(t, db)
	a.stop()
	<-a.done
	a.done <- 0
	for _, args := range [][]string{
		{"admin", "add", "alice", "--role", "admin", "--db", sqlite},
		{"admin", "token", "alice", "--role", "editor", "--db", sqlite},
		{"rotate", "bnv", "https://zalo.me/777", "--db", sqlite},
		{"agencies", "import", "../../deploy/sample/agencies.sample.csv", "--db", sqlite},
	} {
		if code := run(ctx, args, env(), strings.NewReader("mật-khẩu-đủ-dài-1\n"), io.Discard, io.Discard); code != 0 {
			t.Fatalf("run(%q) = %d", args, code)
		}
	}
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"migrate", "--from", sqlite, "--to", dsn}, env(), nil, &out, &errOut); code != 0 {
		t.Fatalf("migrate = %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "copied 1 campaigns, 2 history rows") || !strings.Contains(out.String(), "6 agencies") || !strings.Contains(out.String(), "verified") {
		t.Errorf("migrate said %q", out.String())
	}
	// A second copy into the now non-empty target is refused, unless forced.
	errOut.Reset()
	if code := run(ctx, []string{"migrate", "--from", sqlite, "--to", dsn}, env(), nil, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "not empty") {
		t.Errorf("migrate into a non-empty store = %d %q", code, errOut.String())
	}
	if code := run(ctx, []string{"migrate", "--from", sqlite, "--to", dsn, "--force"}, env(), nil, io.Discard, &errOut); code != 0 {
		t.Errorf("migrate --force = %d %q", code, errOut.String())
	}
	// The copy serves: history, audit, the rotated target.
	out.Reset()
	if code := run(ctx, []string{"history", "bnv", "--db", dsn}, env(), nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "https://zalo.me/777") {
		t.Errorf("history on the copy = %d %q", code, out.String())
	}
	out.Reset()
	if code := run(ctx, []string{"audit", "verify", "--db", dsn}, env(), nil, &out, io.Discard); code != 0 {
		t.Errorf("audit verify on the copy = %d", code)
	}
	// The copy takes new writes (its sequences continue after the copied ids).
	if code := run(ctx, []string{"admin", "add", "bob", "--role", "viewer", "--db", dsn}, env(), strings.NewReader("mật-khẩu-đủ-dài-2\n"), io.Discard, &errOut); code != 0 {
		t.Errorf("a new account on the copy = %d %q", code, errOut.String())
	}
}
