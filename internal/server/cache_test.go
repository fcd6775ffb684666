package server_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/purge"
)

// purgeEndpoint is a shared cache's purge endpoint: a real HTTP server
// that records the purges it is sent and answers with status.
type purgeEndpoint struct {
	*httptest.Server
	mu     sync.Mutex
	got    []string // "METHOD key"
	status int
	hold   chan struct{} // when set, requests wait for it to close
}

func newPurgeEndpoint(t *testing.T) *purgeEndpoint {
	p := &purgeEndpoint{status: http.StatusOK}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		hold := p.hold
		p.mu.Unlock()
		if hold != nil {
			<-hold
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.got = append(p.got, r.Method+" "+r.Header.Get("Surrogate-Key"))
		w.WriteHeader(p.status)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *purgeEndpoint) set(status int) { p.mu.Lock(); p.status = status; p.mu.Unlock() }

// take returns the purges received since the last take.
func (p *purgeEndpoint) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := p.got
	p.got = nil
	return got
}

func withPurge(p *purgeEndpoint) func(*config.Config) {
	return func(c *config.Config) { c.Purge = []purge.Endpoint{{Method: "PURGE", URL: p.URL + "/"}} }
}

// settle waits until the app's purges are sent or given up.
func settle(t *testing.T, a *app.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.Purge.Wait(ctx); err != nil {
		t.Fatalf("purges still pending: %v", err)
	}
}

func TestCacheLifetimesAndSurrogateKeys(t *testing.T) {
	ep := newPurgeEndpoint(t)
	for _, tc := range []struct {
		name          string
		mod           func(*config.Config)
		image, doc    string
		followMinutes string
	}{
		{"default: browsers and shared caches alike", func(*config.Config) {},
			"public, max-age=60, stale-while-revalidate=60, stale-if-error=86400", "no-cache", "2 phút"},
		{"purged shared caches keep a day", withPurge(ep),
			"public, max-age=60, s-maxage=86400, stale-while-revalidate=60, stale-if-error=86400", "public, max-age=0, s-maxage=86400", "2 phút"},
		{"an s-maxage without purging adds to the wait", func(c *config.Config) { c.SharedMaxAge, c.CacheMaxAge = 2*time.Hour, 5*time.Minute },
			"public, max-age=300, s-maxage=7200, stale-while-revalidate=300, stale-if-error=86400", "no-cache", "130 phút"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.mod)
			for _, path := range []string{"/b/bnv.svg", "/b/bnv.png?size=256", "/api/v1/campaigns/bnv"} {
				r := f.do(t, "GET", path, "Accept-Encoding", "gzip")
				body(t, r)
				want := tc.image
				if strings.HasPrefix(path, "/api/") {
					want = tc.doc
				}
				if got := r.Header.Get("Cache-Control"); r.StatusCode != 200 || got != want {
					t.Errorf("GET %s: %d, Cache-Control %q, want %q", path, r.StatusCode, got, want)
				}
				if got := r.Header.Get("Surrogate-Key"); got != "oabadge campaign-bnv" {
					t.Errorf("GET %s: Surrogate-Key %q", path, got)
				}
				if got := r.Header.Get("Cache-Tag"); got != "oabadge,campaign-bnv" {
					t.Errorf("GET %s: Cache-Tag %q", path, got)
				}
			}
			// The list changes with every campaign: never kept, never tagged.
			r := f.do(t, "GET", "/api/v1/campaigns")
			if r.Header.Get("Cache-Control") != "no-cache" || r.Header.Get("Surrogate-Key") != "" {
				t.Errorf("the campaign list: Cache-Control %q, Surrogate-Key %q", r.Header.Get("Cache-Control"), r.Header.Get("Surrogate-Key"))
			}
			// The page tells webmasters the figure these lifetimes give.
			if page := body(t, f.do(t, "GET", "/")); !strings.Contains(page, "trong vòng "+tc.followMinutes) {
				t.Errorf("the webmaster page does not say returning visitors follow within %s", tc.followMinutes)
			}
		})
	}
}

// Every change that alters what a campaign serves is sent to the shared
// caches once, by the process that applied it, when it is applied: not
// when proposed, and not by a replica that only follows it.
func TestAppliedChangesArePurgedOnceByTheApplyingProcess(t *testing.T) {
	ep := newPurgeEndpoint(t)
	f := newAdminFixture(t, true, withPurge(ep))
	replica := newApp(t, f.app.Config, app.Options{})
	settle(t, f.app)
	ep.take()

	// Under two-person alice's rotation waits: nothing changes, nothing is purged.
	code, out, _ := f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/2"}, "If-Match", `"1"`)
	if code != 202 {
		t.Fatalf("proposing: %d %v", code, out)
	}
	settle(t, f.app)
	if got := ep.take(); len(got) != 0 {
		t.Fatalf("a proposal was purged: %q", got)
	}
	id := itoaF(out["proposal"].(map[string]any)["id"])
	if code, out, _ = f.call(t, "bob", "POST", "/api/v1/admin/proposals/"+id+"/approve", nil); code != 200 {
		t.Fatalf("approving: %d %v", code, out)
	}
	settle(t, f.app)
	if got := ep.take(); len(got) != 1 || got[0] != "PURGE campaign-bnv" {
		t.Fatalf("after the approval the cache got %q, want one PURGE of campaign-bnv", got)
	}

	// The replica learns of the change and serves it, but does not purge again.
	if err := replica.svc.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c, _ := replica.svc.Served(context.Background(), "bnv"); c.Target != "https://zalo.me/2" {
		t.Fatalf("the replica serves %q", c.Target)
	}
	settle(t, replica.app)
	if got := ep.take(); len(got) != 0 {
		t.Errorf("the replica purged too: %q", got)
	}

	// Disabling and the other changes purge the same way, once applied.
	if _, _, err := f.svc.SetDisabled(context.Background(), "bnv", true, 0, testActor); err != nil {
		t.Fatal(err)
	}
	settle(t, f.app)
	if got := ep.take(); len(got) != 1 || got[0] != "PURGE campaign-bnv" {
		t.Errorf("after disabling the cache got %q", got)
	}
}

// A cache that does not answer delays no change; one that refuses is
// retried, then shown in the console, the API and the metrics, until an
// admin tells the caches again.
func TestFailedPurgesAreVisibleAndNeverBlockTheChange(t *testing.T) {
	ep := newPurgeEndpoint(t)
	f := newAdminFixtureWith(t, false, app.Options{PurgeBackoff: time.Millisecond}, withPurge(ep))
	settle(t, f.app)
	ep.take()

	hold := make(chan struct{})
	ep.mu.Lock()
	ep.hold = hold
	ep.mu.Unlock()
	// The rotation returns while the cache hangs (it would deadlock here otherwise).
	code, out, _ := f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/3"}, "If-Match", `"1"`)
	if code != 200 {
		t.Fatalf("rotating with a hung cache: %d %v", code, out)
	}
	if st := f.app.Purge.Status(); st[0].Pending != 1 {
		t.Errorf("with the cache hung, pending = %d, want 1", st[0].Pending)
	}
	ep.set(http.StatusForbidden)
	ep.mu.Lock()
	ep.hold = nil
	ep.mu.Unlock()
	close(hold)
	settle(t, f.app)
	if got := ep.take(); len(got) != 6 {
		t.Errorf("a refused purge was tried %d times, want 6", len(got))
	}

	st := f.app.Purge.Status()[0]
	if st.Failed != 1 || !strings.Contains(st.LastError, "403") {
		t.Fatalf("status after a refused purge: %+v", st)
	}
	code, out, _ = f.call(t, "ed", "GET", "/api/v1/admin/caches", nil)
	caches, _ := out["caches"].([]any)
	if code != 200 || len(caches) != 1 || caches[0].(map[string]any)["failed"] != 1.0 {
		t.Errorf("GET /api/v1/admin/caches = %d %v", code, out)
	}
	ck, _ := f.session(t, "ed")
	r := httptest.NewRequest("GET", "/admin", nil)
	r.AddCookie(ck)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if page := w.Body.String(); !strings.Contains(page, `class="flash error"`) || !strings.Contains(page, "403 Forbidden") || !strings.Contains(page, ep.Listener.Addr().String()) {
		t.Errorf("the console does not warn of the failed purge:\n%s", page)
	}
	// Behind a shared cache the report says what its impressions count.
	r = httptest.NewRequest("GET", "/admin/report?lang=en", nil)
	r.AddCookie(ck)
	w = httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if !strings.Contains(w.Body.String(), "impressions here count only those that reached this server") {
		t.Errorf("the report does not say its impressions are the cache's misses:\n%.3000s", w.Body.String())
	}
	metrics := body(t, f.do(t, "GET", "/metrics"))
	if !strings.Contains(metrics, `oabadge_purge_requests_total{endpoint="PURGE http://`+ep.Listener.Addr().String()+`/",result="failed"} 1`) ||
		!strings.Contains(metrics, `result="retry"} 5`) {
		t.Errorf("/metrics lacks the failed purge:\n%s", grepLines(metrics, "oabadge_purge"))
	}

	// The cache is fixed; an admin tells every cache again; the warning goes.
	ep.set(http.StatusOK)
	if code, out, _ := f.call(t, "alice", "POST", "/api/v1/admin/caches/purge", nil); code != 202 {
		t.Fatalf("telling the caches again: %d %v", code, out)
	}
	settle(t, f.app)
	if got := ep.take(); len(got) != 1 || got[0] != "PURGE oabadge" {
		t.Errorf("telling again sent %q, want one PURGE of every campaign (oabadge)", got)
	}
	if st := f.app.Purge.Status()[0]; st.LastError != "" || st.LastOK.IsZero() {
		t.Errorf("after a successful purge the status is %+v", st)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A process that applied a change and died before sending its purge
// leaves the caches an old badge; a server that starts tells them again of
// every campaign changed within their lifetime, and of no other.
func TestAStartingServerPurgesWhatChangedWithinTheCachesLifetime(t *testing.T) {
	ep := newPurgeEndpoint(t)
	clk := &clock{t: fixtureStart}
	f := newFixtureWith(t, app.Options{Now: clk.Now}, withPurge(ep)) // bnv, changed now
	clk.Add(25 * time.Hour)                                          // past the day-long s-maxage
	f.create(t, campaign.Campaign{Slug: "fresh", Title: "Fresh", Caption: "Fresh", Target: "https://zalo.me/2222"})
	settle(t, f.app)
	ep.take()

	next := newApp(t, f.app.Config, app.Options{Now: clk.Now})
	if n, err := next.app.PurgeRecent(context.Background()); err != nil || n != 1 {
		t.Fatalf("PurgeRecent = %d, %v; want the one campaign changed within a day", n, err)
	}
	settle(t, next.app)
	if got := ep.take(); len(got) != 1 || got[0] != "PURGE campaign-fresh" {
		t.Fatalf("at start the cache got %q, want one PURGE of campaign-fresh", got)
	}

	// Serve does it before serving.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- next.app.Serve(ctx, ln) }()
	deadline := time.After(20 * time.Second)
	for got := ep.take(); len(got) == 0; got = ep.take() {
		select {
		case <-deadline:
			cancel()
			t.Fatal("Serve sent no purge at start")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Without --purge nothing is sent, and nothing is counted.
	cfg := f.app.Config
	cfg.Purge = nil
	if n, err := newApp(t, cfg, app.Options{Now: clk.Now}).app.PurgeRecent(context.Background()); n != 0 || err != nil {
		t.Errorf("PurgeRecent without --purge = %d, %v", n, err)
	}
}
