package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"

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
