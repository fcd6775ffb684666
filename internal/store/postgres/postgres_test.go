package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oabadge/oabadge/internal/audit"

	"github.com/oabadge/oabadge/internal/store/postgres"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// dsn is the database the PostgreSQL half of the suite runs on. Its tests
// share it, one at a time, emptying it first.
func dsn(t *testing.T) string { return storetest.PostgresDSN(t, "oabadge_test_store") }

var serial sync.Mutex

func TestConformance(t *testing.T) {
	d := dsn(t)
	storetest.Run(t, func(t *testing.T) storetest.Store {
		serial.Lock()
		t.Cleanup(serial.Unlock)
		s, err := postgres.Open(context.Background(), d, storetest.Key())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Reset(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestOpenRefusesAnotherKey: a replica given another key file must not
// start appending entries nobody can verify.
func TestOpenRefusesAnotherKey(t *testing.T) {
	d := dsn(t)
	serial.Lock()
	defer serial.Unlock()
	ctx := context.Background()
	s, err := postgres.Open(ctx, d, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	other, _ := audit.NewKey()
	if o, err := postgres.Open(ctx, d, other); err == nil {
		o.Close()
		t.Fatal("Open with another key succeeded")
	} else if !strings.Contains(err.Error(), "audit entry 1") || !strings.Contains(err.Error(), other.ID()) {
		t.Errorf("Open with another key = %v; want entry 1 and the key named", err)
	}
	if _, err := s.VerifyAudit(ctx); err != nil {
		t.Errorf("the trail after a refused open: %v", err)
	}
}

// TestMigrationKeepsUnkeyedEntries upgrades a database whose trail was
// chained with SHA-256 (schema 2): the old entries still verify and the
// seal entry, keyed, covers the last of them.
func TestMigrationKeepsUnkeyedEntries(t *testing.T) {
	d := storetest.PostgresDSN(t, "oabadge_test_store_legacy")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	names, _ := filepath.Glob("migrations/000[1-2]_*.sql")
	if len(names) != 2 {
		t.Fatalf("found migrations %v, want 0001 and 0002", names)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE schema_version (version integer NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO schema_version VALUES ($1)", i+1); err != nil {
			t.Fatal(err)
		}
	}
	prev := audit.Genesis
	for i := range 3 {
		e := audit.New(audit.Actor{Name: "alice", Role: "admin"}, "account.add", "bob", nil, map[string]int{"i": i})
		e.At = time.Date(2025, 1, 1, 0, i, 0, 0, time.UTC)
		e.Seq, e.PrevHash = int64(i+1), prev
		e.Hash = audit.Sum(e)
		prev = e.Hash
		if _, err := conn.Exec(ctx, `INSERT INTO audit (seq, at, actor, role, action, subject, before, after, ip, user_agent, approval, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, e.Seq, e.At, e.Actor, e.Role, e.Action, e.Subject,
			e.Before, e.After, e.IP, e.UserAgent, e.Approval, e.PrevHash, e.Hash); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, "UPDATE audit_head SET seq = 3, hash = $1", prev); err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(ctx, d, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.CheckAudit(ctx, audit.Head{Seq: 3, Hash: prev})
	if err != nil || v.Entries != 4 {
		t.Fatalf("CheckAudit after the upgrade = %+v, %v; want 3 old entries and the seal", v, err)
	}
	es, _ := s.AuditEntries(ctx, audit.Filter{Limit: 1})
	if es[0].Action != audit.SealAction || es[0].Chain != audit.ChainHMAC || es[0].PrevHash != prev {
		t.Errorf("entry 4 = %+v; want the keyed seal after the last unkeyed entry", es[0])
	}
}
