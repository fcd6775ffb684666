package campaign_test

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/store/sqlite"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// counter is an Observer that counts renders, for tests.
type counter struct{ hits, misses, renders atomic.Int64 }

func (c *counter) CacheHit()                                    { c.hits.Add(1) }
func (c *counter) CacheMiss()                                   { c.misses.Add(1) }
func (c *counter) Rendered(badge.Variant, time.Duration, error) { c.renders.Add(1) }

// testActor is an operator at the command line: its changes apply at once.
var testActor = auth.Operator("tester", "go test")

// badgeOf serves variant v of slug as a request does: Lookup, then Badge.
func badgeOf(ctx context.Context, svc *campaign.Service, slug string, v badge.Variant) (*campaign.Asset, error) {
	e, err := svc.Lookup(ctx, slug)
	if err != nil {
		return nil, err
	}
	return svc.Badge(ctx, e, v)
}

// served returns the campaign svc serves now.
func served(svc *campaign.Service, slug string) campaign.Campaign {
	c, _ := svc.Served(context.Background(), slug)
	return c
}

var fixed = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)

func newService(t *testing.T, path string) (*campaign.Service, *sqlite.Store, *counter) {
	t.Helper()
	return newServiceConfig(t, path, campaign.Config{Policy: campaign.Policy{Hosts: campaign.DefaultHosts}})
}

// newServiceWith is a service over the file at path with policy p.
func newServiceWith(t *testing.T, path string, p campaign.Policy) *campaign.Service {
	svc, _, _ := newServiceConfig(t, path, campaign.Config{Policy: p})
	return svc
}

// newServiceTwoPerson is a service under the two-person rule.
func newServiceTwoPerson(t *testing.T) (*campaign.Service, *sqlite.Store, *counter) {
	return newServiceConfig(t, "", campaign.Config{Policy: campaign.Policy{Hosts: campaign.DefaultHosts}, TwoPerson: true})
}

func newServiceConfig(t *testing.T, path string, cfg campaign.Config) (*campaign.Service, *sqlite.Store, *counter) {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "s.db")
	}
	st, err := sqlite.Open(context.Background(), path, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	obs := &counter{}
	cfg.PublicURL, cfg.PollInterval, cfg.Observer, cfg.Now = "https://badge.example.gov.vn", 50*time.Millisecond, obs, func() time.Time { return fixed }
	svc := campaign.NewService(st, cfg)
	if err := svc.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc, st, obs
}

var bnv = campaign.Campaign{Slug: "bnv", Title: "Zalo OA Bộ Nội vụ", Caption: "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ", Target: "https://zalo.me/1111"}

func create(t *testing.T, svc *campaign.Service, c campaign.Campaign) campaign.Campaign {
	t.Helper()
	got, _, err := svc.Create(context.Background(), c, testActor)
	if err != nil {
		t.Fatalf("Create(%s): %v", c.Slug, err)
	}
	return got
}

func TestRotateServesTheNewTargetAtOnce(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t, "")
	create(t, svc, bnv)
	variants := []badge.Variant{badge.DefaultVariant(badge.SVG), badge.DefaultVariant(badge.PNG), {Format: badge.PNG, Layout: badge.LayoutCard, Size: 512, Density: 2}}
	for _, v := range variants {
		if _, err := badgeOf(ctx, svc, "bnv", v); err != nil {
			t.Fatalf("Badge(%s): %v", v, err)
		}
	}
	if n := svc.CacheLen(); n != len(variants) {
		t.Fatalf("CacheLen = %d after %d renders", n, len(variants))
	}
	c, err := svc.Rotate(ctx, "bnv", "https://zalo.me/2222", 1, testActor)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if c.Version != 2 {
		t.Errorf("Rotate returned version %d, want 2", c.Version)
	}
	if n := svc.CacheLen(); n != 0 {
		t.Errorf("CacheLen = %d after Rotate, want 0: the old version's variants must be gone", n)
	}
	for _, v := range variants {
		a, err := badgeOf(ctx, svc, "bnv", v)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := badge.Render(badge.Content{Code: "https://zalo.me/2222", Title: bnv.Title, Caption: bnv.Caption}, v)
		if !bytes.Equal(a.Body, want) || a.Version != 2 {
			t.Errorf("Badge(%s) after Rotate is not the new target's badge (version %d)", v, a.Version)
		}
	}
	if got := served(svc, "bnv"); got.Target != "https://zalo.me/2222" {
		t.Errorf("Get after Rotate: target %q", got.Target)
	}
}

func TestRefusedRotationChangesNothing(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t, "")
	create(t, svc, bnv)
	a1, _ := badgeOf(ctx, svc, "bnv", badge.DefaultVariant(badge.SVG))
	tests := []struct {
		name   string
		target string
		expect int64
		kind   apperr.Kind
	}{
		{"off the allowlist", "https://zalo.me.evil.example/1", 1, apperr.Invalid},
		{"stale version", "https://zalo.me/2", 7, apperr.PreconditionFailed},
		{"too long for the QR", "https://zalo.me/" + string(bytes.Repeat([]byte("a"), 200)), 1, apperr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Rotate(ctx, "bnv", tt.target, tt.expect, testActor)
			if apperr.KindOf(err) != tt.kind {
				t.Errorf("%s: Rotate = %v, want kind %v", tt.name, err, tt.kind)
			}
		})
	}
	if _, err := svc.Rotate(ctx, "nope", "https://zalo.me/2", 0, testActor); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("Rotate(nope) = %v, want NotFound", err)
	}
	h, _ := st.History(ctx, "bnv")
	c := served(svc, "bnv")
	a2, _ := badgeOf(ctx, svc, "bnv", badge.DefaultVariant(badge.SVG))
	if len(h) != 1 || c.Version != 1 || a1 != a2 {
		t.Errorf("after refused rotations: %d history rows, version %d, same cached asset %v; want 1, 1, true", len(h), c.Version, a1 == a2)
	}
}

func TestConcurrentMissesRenderOnce(t *testing.T) {
	svc, _, obs := newService(t, "")
	create(t, svc, bnv)
	v := badge.Variant{Format: badge.PNG, Layout: badge.LayoutBadge, Size: 1024, Density: 2}
	var wg sync.WaitGroup
	assets := make([]*campaign.Asset, 32)
	for i := range assets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := badgeOf(context.Background(), svc, "bnv", v)
			if err != nil {
				t.Error(err)
			}
			assets[i] = a
		}()
	}
	wg.Wait()
	if n := obs.renders.Load(); n != 1 {
		t.Errorf("%d concurrent requests rendered %d times, want 1", len(assets), n)
	}
	for _, a := range assets[1:] {
		if a != assets[0] {
			t.Fatal("concurrent requests got different assets")
		}
	}
}

func TestBadgeHitDoesNotAllocate(t *testing.T) {
	svc, _, _ := newService(t, "")
	create(t, svc, bnv)
	ctx := context.Background()
	v := badge.DefaultVariant(badge.SVG)
	if _, err := badgeOf(ctx, svc, "bnv", v); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := badgeOf(ctx, svc, "bnv", v); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Badge on a cache hit allocates %v times per call, want 0", allocs)
	}
}

func TestBadgeRefusals(t *testing.T) {
	svc, _, obs := newService(t, "")
	create(t, svc, bnv)
	ctx := context.Background()
	if _, err := badgeOf(ctx, svc, "nope", badge.DefaultVariant(badge.SVG)); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("Badge(nope) = %v, want NotFound", err)
	}
	for _, v := range []badge.Variant{{Size: 200, Density: 1}, {Layout: badge.LayoutCard, Size: 128, Density: 1}, {Size: 192, Density: 2}} {
		if _, err := badgeOf(ctx, svc, "bnv", v); apperr.KindOf(err) != apperr.BadRequest {
			t.Errorf("Badge(%s) = %v, want BadRequest", v, err)
		}
	}
	if n := obs.renders.Load(); n != 0 {
		t.Errorf("refused requests rendered %d times, want 0", n)
	}
}

func TestCreateValidates(t *testing.T) {
	svc, _, _ := newService(t, "")
	bad := []campaign.Campaign{
		{Slug: "Bad Slug", Title: "t", Caption: "c", Target: bnv.Target},
		{Slug: "-x", Title: "t", Caption: "c", Target: bnv.Target},
		{Slug: "ok", Title: "", Caption: "c", Target: bnv.Target},
		{Slug: "ok", Title: "t", Caption: " \t ", Target: bnv.Target},
		{Slug: "ok", Title: "t", Caption: "c", Target: "http://zalo.me/1"},
		{Slug: "ok", Title: "t", Caption: "c", Target: bnv.Target, QRMode: "sideways"},
	}
	for _, c := range bad {
		if _, _, err := svc.Create(context.Background(), c, testActor); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("Create(%+v) = %v, want Invalid", c, err)
		}
	}
	if len(svc.List()) != 0 {
		t.Errorf("refused creations left %d campaigns", len(svc.List()))
	}
	nfd := bnv
	nfd.Caption = norm.NFD.String(bnv.Caption)
	got := create(t, svc, nfd)
	if got.Caption != bnv.Caption {
		t.Errorf("Create stored caption %q, want the NFC form %q", got.Caption, bnv.Caption)
	}
	if _, _, err := svc.Create(context.Background(), bnv, testActor); apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("second Create(bnv) = %v, want Conflict", err)
	}
}

func TestRedirectModeEncodesTheStableURL(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t, "")
	c := bnv
	c.QRMode = campaign.Redirect
	c = create(t, svc, c)
	if got, want := svc.QRContent(c), "https://badge.example.gov.vn/s/bnv"; got != want {
		t.Errorf("QRContent = %q, want %q", got, want)
	}
	v := badge.DefaultVariant(badge.PNG)
	a1, _ := badgeOf(ctx, svc, "bnv", v)
	if _, err := svc.Rotate(ctx, "bnv", "https://zalo.me/2222", 0, testActor); err != nil {
		t.Fatal(err)
	}
	a2, _ := badgeOf(ctx, svc, "bnv", v)
	if a1.ETag() != a2.ETag() {
		t.Error("a redirect-mode badge changed bytes on rotation; its code should not change")
	}
}

func TestEnsureDemo(t *testing.T) {
	svc, _, _ := newService(t, "")
	for i, want := range []bool{true, false} {
		got, err := svc.EnsureDemo(context.Background(), bnv)
		if err != nil || got != want {
			t.Errorf("EnsureDemo call %d = %v, %v; want %v", i+1, got, err, want)
		}
	}
}

// TestRunFollowsOtherProcesses rotates through a second store on the same
// file, as `oabadge rotate` does, and waits for the running service to
// serve the new version.
func TestRunFollowsOtherProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	svc, _, _ := newService(t, path)
	create(t, svc, bnv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()

	other, _, _ := newService(t, path)
	if _, err := other.Rotate(context.Background(), "bnv", "https://zalo.me/3333", 1, testActor); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		if c := served(svc, "bnv"); c.Version == 2 && c.Target == "https://zalo.me/3333" {
			t.Logf("the running service served version 2 after %v", time.Since(start))
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("the running service never saw the other process's rotation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

func BenchmarkBadgeHit(b *testing.B) {
	path := filepath.Join(b.TempDir(), "b.db")
	st, err := sqlite.Open(context.Background(), path, storetest.Key())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := campaign.NewService(st, campaign.Config{Policy: campaign.Policy{Hosts: campaign.DefaultHosts}})
	if _, _, err := svc.Create(context.Background(), bnv, testActor); err != nil {
		b.Fatal(err)
	}
	ctx, v := context.Background(), badge.DefaultVariant(badge.SVG)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := badgeOf(ctx, svc, "bnv", v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
