package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/server"
	"github.com/oabadge/oabadge/internal/store"
)

const publicURL = "https://badge.example.gov.vn"

// testActor is an operator at the command line, who sets the scene: its
// changes apply at once, whatever the rules for people are.
var testActor = auth.Operator("tester", "go test")

// clock is a settable clock shared by the services and the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is the whole program, built as the command line builds it (one
// wiring, app.New), on a fresh SQLite file, with its handler to drive.
type fixture struct {
	app *app.App
	svc *campaign.Service
	st  store.Store
	srv *server.Server
	h   http.Handler
}

// testConfig is the configuration tests start from: a fresh database, the
// public URL above, nothing that reaches outside.
func testConfig(t testing.TB) config.Config {
	c := config.Default()
	c.DB = "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	c.PublicURL = publicURL
	c.Demo = false
	c.AccessLog = false
	return c
}

// newApp builds the program with cfg and opts.
func newApp(t testing.TB, cfg config.Config, opts app.Options) *fixture {
	t.Helper()
	if opts.Version == "" {
		opts.Version = "v-test"
	}
	a, err := app.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv, err := a.Server()
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{app: a, svc: a.Campaigns, st: a.Store, srv: srv, h: srv.Handler()}
}

// newFixture builds the program with the test configuration, changed by
// mods, and the campaign bnv.
func newFixture(t testing.TB, mods ...func(*config.Config)) *fixture {
	t.Helper()
	return newFixtureWith(t, app.Options{}, mods...)
}

func newFixtureWith(t testing.TB, opts app.Options, mods ...func(*config.Config)) *fixture {
	t.Helper()
	cfg := testConfig(t)
	for _, m := range mods {
		m(&cfg)
	}
	f := newApp(t, cfg, opts)
	f.create(t, campaign.Campaign{Slug: "bnv", Title: "Zalo OA Bộ Nội vụ", Caption: "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ", Target: "https://zalo.me/1111"})
	return f
}

// create stores c as an admin would.
func (f *fixture) create(t testing.TB, c campaign.Campaign) {
	t.Helper()
	if _, _, err := f.svc.Create(context.Background(), c, testActor); err != nil {
		t.Fatalf("creating campaign %s: %v", c.Slug, err)
	}
}

// withLog is a fixture option that logs to l.
func withLog(l *slog.Logger) app.Options { return app.Options{Log: l} }

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range templateDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}
