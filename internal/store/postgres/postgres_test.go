package postgres_test

import (
	"context"
	"sync"
	"testing"

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
