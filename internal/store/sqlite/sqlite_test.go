package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/store/sqlite"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, storetest.Key())
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, filepath.Join(t.TempDir(), "sub", "dir", "test.db"))
	})
}

// TestPragmas checks that every pooled connection runs in WAL with
// synchronous=FULL and foreign keys on, as the DSN asks.
func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s := open(t, path)
	_ = s
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal (it is persistent in the file)", mode, err)
	}
	for i := 0; i < 3; i++ {
		var sync, fk int
		if err := s.PragmaForTest("synchronous", &sync); err != nil || sync != 2 {
			t.Errorf("synchronous = %d, %v; want 2 (FULL)", sync, err)
		}
		if err := s.PragmaForTest("foreign_keys", &fk); err != nil || fk != 1 {
			t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
		}
	}
}

// TestReopen checks that migrations run once and data survives a reopen.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	ctx := context.Background()
	s1, err := sqlite.Open(ctx, path, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	c := campaign.Campaign{Slug: "bnv", Title: "t", Caption: "c", Target: "https://zalo.me/1", Version: 1, QRMode: campaign.Redirect, CreatedAt: now, UpdatedAt: now}
	if _, err := s1.Apply(ctx, campaign.Change{Kind: campaign.KindCreate, State: c, At: now}, audit.Actor{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	s1.Close()
	s2 := open(t, path)
	got, err := s2.Campaign(ctx, "bnv")
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Errorf("after reopen: %+v, %v; want %+v", got, err, c)
	}
	if err := s2.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
}

// TestWatchSeesOtherProcessWrites uses a second Store on the same file,
// as `oabadge rotate` would be, and expects the first to notice.
func TestWatchSeesOtherProcessWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	a, b := open(t, path), open(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan string, 8)
	go a.Watch(ctx, func(slug string) { changed <- slug })
	<-changed // the initial call
	now := time.Now().UTC()
	if _, err := b.Apply(ctx, campaign.Change{Kind: campaign.KindCreate, State: campaign.Campaign{Slug: "x", Title: "t", Caption: "c", Target: "https://zalo.me/1", QRMode: campaign.Direct}, At: now}, audit.Actor{Name: "cli"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	select {
	case slug := <-changed:
		if slug != "x" {
			t.Errorf("changed(%q), want the campaign written, \"x\"", slug)
		}
		t.Logf("noticed another connection's commit after %v", time.Since(start))
	case <-time.After(30 * time.Second):
		t.Fatal("the watcher never noticed another connection's commit")
	}
}

func TestOpenRefusesBadPaths(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"", dir} {
		if s, err := sqlite.Open(context.Background(), p, storetest.Key()); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}
