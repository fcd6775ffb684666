package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/config"
)

type adminFixture struct {
	*fixture
	clock   *clock
	counter *compliance.Counter
	tokens  map[string]string // account name → API token
}

// flush writes the counted impressions and clicks to the store.
func (f *adminFixture) flush() error { return f.app.Compliance.Flush(context.Background()) }

func decodeJSON(t *testing.T, r io.Reader, v any) {
	t.Helper()
	if err := json.NewDecoder(r).Decode(v); err != nil {
		t.Fatal(err)
	}
}

const password = "một-mật-khẩu-đủ-dài"

// newAdminFixture starts a server with the campaign bnv (pinned to no OA
// id), the campaign pinned (pinned to OA id 1111), and the accounts alice
// and bob (admins), ed (editor) and vi (viewer), each with a token.
func newAdminFixture(t *testing.T, twoPerson bool, mods ...func(*config.Config)) *adminFixture {
	t.Helper()
	return newAdminFixtureWith(t, twoPerson, app.Options{}, mods...)
}

// newAdminFixtureWith is newAdminFixture with opts (its clock is the
// fixture's own).
func newAdminFixtureWith(t *testing.T, twoPerson bool, opts app.Options, mods ...func(*config.Config)) *adminFixture {
	t.Helper()
	tmpl := adminTemplate(t)
	clk := &clock{t: fixtureStart}
	cfg := testConfig(t)
	cfg.TwoPerson = twoPerson
	for _, m := range mods {
		m(&cfg)
	}
	db, err := os.ReadFile(tmpl.path)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(cfg.DB, "sqlite:")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	// The copy's audit trail is sealed with the template's key.
	cfg.AuditKeyFile = filepath.Join(filepath.Dir(tmpl.path), app.DefaultAuditKeyFile)
	opts.Now = clk.Now
	f := &adminFixture{fixture: newApp(t, cfg, opts), clock: clk, tokens: tmpl.tokens}
	f.counter = f.app.Compliance.Counter()
	return f
}

// fixtureStart is the time every admin fixture starts at.
var fixtureStart = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)

// template is a database built once per test run that fixtures copy.
type template struct {
	once   sync.Once
	path   string
	tokens map[string]string
	err    error
}

var adminTmpl template

// adminTemplate builds, once per test run, the database every admin
// fixture starts from: hashing four passwords with argon2id costs more
// than copying a file.
func adminTemplate(t *testing.T) *template {
	adminTmpl.once.Do(func() {
		dir, err := os.MkdirTemp("", "oabadge-admin-template-")
		if err != nil {
			adminTmpl.err = err
			return
		}
		templateDirs = append(templateDirs, dir)
		adminTmpl.path = filepath.Join(dir, "template.db")
		adminTmpl.tokens, adminTmpl.err = buildAdminTemplate(adminTmpl.path)
	})
	if adminTmpl.err != nil {
		t.Fatalf("building the admin fixture's database: %v", adminTmpl.err)
	}
	return &adminTmpl
}

// templateDirs are removed when the tests end (TestMain).
var templateDirs []string

func buildAdminTemplate(path string) (map[string]string, error) {
	cfg := config.Default()
	cfg.DB, cfg.PublicURL, cfg.Demo = "sqlite:"+path, publicURL, false
	ctx := context.Background()
	a, err := app.New(ctx, cfg, app.Options{Now: func() time.Time { return fixtureStart }})
	if err != nil {
		return nil, err
	}
	tokens, err := seedAdminTemplate(ctx, a)
	// Closing the last connection folds the write-ahead log into the
	// file, so copying the file alone copies everything.
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	return tokens, err
}

func seedAdminTemplate(ctx context.Context, a *app.App) (map[string]string, error) {
	for _, c := range []campaign.Campaign{
		{Slug: "bnv", Title: "Zalo OA Bộ Nội vụ", Caption: "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ", Target: "https://zalo.me/1111"},
		{Slug: "pinned", Title: "Pinned", Caption: "Pinned", Target: "https://zalo.me/1111", OAIDs: []string{"1111", "2222"}},
	} {
		if _, _, err := a.Campaigns.Create(ctx, c, testActor); err != nil {
			return nil, err
		}
	}
	op := auth.Operator("test", "v-test")
	tokens := map[string]string{}
	for _, name := range []string{"alice", "bob", "ed", "vi"} {
		role := map[string]string{"alice": "admin", "bob": "admin", "ed": "editor", "vi": "viewer"}[name]
		if _, err := a.Auth.CreateAccount(ctx, name, role, password, op); err != nil {
			return nil, err
		}
		_, secret, err := a.Auth.CreateToken(ctx, name+"-token", role, name, op)
		if err != nil {
			return nil, err
		}
		tokens[name] = secret
	}
	return tokens, nil
}

// call sends an API request as who ("" for no credentials) and returns
// the status and the decoded JSON body.
func (f *adminFixture) call(t *testing.T, who, method, path string, body any, hdr ...string) (int, map[string]any, *http.Response) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, path, rd)
	r.RemoteAddr = "192.0.2.10:1234"
	r.Header.Set("User-Agent", "admin-test/1")
	if who != "" {
		r.Header.Set("Authorization", "Bearer "+f.tokens[who])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	res := w.Result()
	var out map[string]any
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatalf("%s %s: bad JSON: %v", method, path, err)
		}
	}
	return res.StatusCode, out, res
}

// state is what a refused request must leave unchanged.
func (f *adminFixture) state(t *testing.T) string {
	t.Helper()
	c, _ := f.st.Campaign(context.Background(), "bnv")
	p, _ := f.st.Campaign(context.Background(), "pinned")
	es, _ := f.st.AuditEntries(context.Background(), audit.Filter{Limit: 100000})
	ps, _ := f.st.Proposals(context.Background(), "")
	b, _ := json.Marshal([]any{c.Version, c.Target, p.Version, p.Target, len(es), len(ps)})
	return string(b)
}

func TestAdminAuthAndRoles(t *testing.T) {
	f := newAdminFixture(t, false)
	tests := []struct {
		who, method, path string
		body              any
		status            int
	}{
		{"", "GET", "/api/v1/admin/campaigns", nil, 401},
		{"vi", "GET", "/api/v1/admin/campaigns", nil, 200},
		{"vi", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/2"}, 403},
		{"vi", "POST", "/api/v1/admin/campaigns", map[string]string{"slug": "x"}, 403},
		{"ed", "GET", "/api/v1/admin/accounts", nil, 403},
		{"ed", "POST", "/api/v1/admin/proposals/1/approve", nil, 403},
		{"ed", "POST", "/api/v1/admin/tokens", map[string]string{"name": "t", "role": "admin"}, 422},
		{"ed", "POST", "/api/v1/admin/tokens", map[string]string{"name": "t", "role": "viewer", "account": "vi"}, 403},
		{"alice", "GET", "/api/v1/admin/accounts", nil, 200},
		{"vi", "GET", "/api/v1/admin/audit", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" as "+tt.who, func(t *testing.T) {
			before := f.state(t)
			code, body, _ := f.call(t, tt.who, tt.method, tt.path, tt.body, "If-Match", `"1"`)
			if code != tt.status {
				t.Errorf("%s %s as %q = %d %v, want %d", tt.method, tt.path, tt.who, code, body, tt.status)
			}
			if code >= 400 {
				if msg, _ := body["error"].(string); msg == "" {
					t.Errorf("%s %s as %q: no error message", tt.method, tt.path, tt.who)
				}
				if after := f.state(t); after != before {
					t.Errorf("%s %s as %q was refused but changed state: %s → %s", tt.method, tt.path, tt.who, before, after)
				}
			}
		})
	}
	// A mistyped or revoked token is 401.
	f.tokens["nobody"] = "oab_000000000000_xyz"
	if code, _, _ := f.call(t, "nobody", "GET", "/api/v1/admin/campaigns", nil); code != 401 {
		t.Errorf("an unknown token = %d, want 401", code)
	}
	id, _ := auth.ParseToken(f.tokens["vi"])
	if code, _, _ := f.call(t, "alice", "DELETE", "/api/v1/admin/tokens/"+id, nil); code != 204 {
		t.Fatalf("revoking = %d", code)
	}
	if code, _, _ := f.call(t, "vi", "GET", "/api/v1/admin/campaigns", nil); code != 401 {
		t.Errorf("a revoked token = %d, want 401", code)
	}
}

func TestRotateTarget(t *testing.T) {
	f := newAdminFixture(t, false)
	// Warm the cache with the old version.
	f.do(t, "GET", "/b/bnv.svg")
	f.do(t, "GET", "/b/bnv.png?size=256")

	if code, body, _ := f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/2"}); code != 428 {
		t.Errorf("no If-Match = %d %v, want 428", code, body)
	}
	if code, _, _ := f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/2"}, "If-Match", `"7"`); code != 412 {
		t.Errorf("stale If-Match = %d, want 412", code)
	}
	code, body, res := f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/4242"}, "If-Match", `"1"`)
	if code != 200 || body["version"] != 2.0 || body["target"] != "https://zalo.me/4242" || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("rotation = %d %v", code, body)
	}
	// Everything this server answers follows at once; the old variants are gone.
	if n := f.svc.CacheLen(); n != 0 {
		t.Errorf("%d cached variants of the old version remain", n)
	}
	if r := f.do(t, "GET", "/go/bnv"); r.Header.Get("Location") != "https://zalo.me/4242" {
		t.Errorf("/go after rotation → %s", r.Header.Get("Location"))
	}
	if js := body2(t, f.do(t, "GET", "/api/v1/campaigns/bnv")); !strings.Contains(js, `"version":2`) {
		t.Errorf("public JSON after rotation: %s", js)
	}
	if got := decodePNG(t, body2(t, f.do(t, "GET", "/b/bnv.png?size=256"))); got != "https://zalo.me/4242" {
		t.Errorf("badge after rotation scans to %q", got)
	}
	// The stale version is refused now and changes nothing.
	before := f.state(t)
	if code, _, _ := f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/5"}, "If-Match", `"1"`); code != 412 {
		t.Errorf("the old version = %d, want 412", code)
	}
	if f.state(t) != before {
		t.Error("a 412 changed state")
	}
}

func body2(t *testing.T, r *http.Response) string { return body(t, r) }

func TestTargetRefusals(t *testing.T) {
	f := newAdminFixture(t, false)
	refuse := []struct{ slug, target, msg string }{
		{"bnv", "javascript:alert(1)", "https://"},
		{"bnv", "http://zalo.me/1", "https://"},
		{"bnv", "https://zalo.me.evil.example/1", "not allowed"},
		{"bnv", "https://zalo.me@evil.example/1", "user name"},
		{"bnv", "https://zаlo.me/1", "ASCII"},
		{"bnv", "https://xn--zlo-5cd.me/1", "punycode"},
		{"bnv", "", "empty"},
		{"bnv", "https://zalo.me/" + strings.Repeat("9", 600), "long"},
		{"bnv", "https://zalo.me/" + strings.Repeat("9", 150), "too long for a QR"},
		{"pinned", "https://zalo.me/3333", "not pinned"},
		{"pinned", "https://oa.zalo.me/home", "names no Official Account id"},
	}
	for _, tt := range refuse {
		t.Run(tt.slug+" "+tt.msg, func(t *testing.T) {
			before := f.state(t)
			code, body, _ := f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/"+tt.slug+"/target", map[string]string{"target": tt.target}, "If-Match", `"1"`)
			msg, _ := body["error"].(string)
			if code != 422 || !strings.Contains(msg, tt.msg) {
				t.Errorf("target %q on %s = %d %q, want 422 mentioning %q", tt.target, tt.slug, code, msg, tt.msg)
			}
			if after := f.state(t); after != before {
				t.Errorf("target %q was refused but changed state or audit: %s → %s", tt.target, before, after)
			}
		})
	}
	if code, body, _ := f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/pinned/target", map[string]string{"target": "https://oa.zalo.me/home?id=2222"}, "If-Match", `"1"`); code != 200 {
		t.Errorf("a pinned id = %d %v, want 200", code, body)
	}
	// Malformed bodies are 400.
	for _, raw := range []string{`{"target": 5}`, `{"target": "https://zalo.me/1", "extra": 1}`, `not json`} {
		r := httptest.NewRequest("PUT", "/api/v1/admin/campaigns/bnv/target", strings.NewReader(raw))
		r.Header.Set("Authorization", "Bearer "+f.tokens["alice"])
		r.Header.Set("If-Match", `"1"`)
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		if w.Code != 400 {
			t.Errorf("body %s = %d, want 400", raw, w.Code)
		}
	}
}

func TestProposalsAndTwoPersonRule(t *testing.T) {
	f := newAdminFixture(t, true)
	// Under the two-person rule an admin's rotation waits.
	code, body, _ := f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/2"}, "If-Match", `"1"`)
	prop, _ := body["proposal"].(map[string]any)
	if code != 202 || prop["status"] != "pending" {
		t.Fatalf("rotation under the two-person rule = %d %v, want 202 pending", code, body)
	}
	id := itoaF(prop["id"])
	if c, _ := f.svc.Served(context.Background(), "bnv"); c.Version != 1 {
		t.Error("a pending rotation changed the campaign")
	}
	before := f.state(t)
	if code, body, _ := f.call(t, "alice", "POST", "/api/v1/admin/proposals/"+id+"/approve", nil); code != 403 || !strings.Contains(body["error"].(string), "another admin") {
		t.Errorf("self-approval = %d %v, want 403", code, body)
	}
	if f.state(t) != before {
		t.Error("a refused self-approval changed state")
	}
	if code, body, _ := f.call(t, "bob", "POST", "/api/v1/admin/proposals/"+id+"/approve", nil); code != 200 || body["proposal"].(map[string]any)["status"] != "applied" {
		t.Fatalf("approval by bob = %d %v", code, body)
	}
	if c, _ := f.svc.Served(context.Background(), "bnv"); c.Version != 2 || c.Target != "https://zalo.me/2" {
		t.Errorf("after approval: %+v", c)
	}
	es, _ := f.st.AuditEntries(context.Background(), audit.Filter{Action: "campaign.rotate", Limit: 1})
	if len(es) != 1 || es[0].Approval != "bob" || es[0].Actor != "bob" {
		t.Errorf("audit of the approved rotation: %+v", es)
	}
	// An editor's proposal; an editor cannot approve; a stale proposal fails.
	_, body, _ = f.call(t, "ed", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/3"}, "If-Match", `"2"`)
	edID := itoaF(body["proposal"].(map[string]any)["id"])
	_, body, _ = f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/4"}, "If-Match", `"2"`)
	aliceID := itoaF(body["proposal"].(map[string]any)["id"])
	if code, _, _ := f.call(t, "ed", "POST", "/api/v1/admin/proposals/"+edID+"/approve", nil); code != 403 {
		t.Errorf("an editor approving = %d, want 403", code)
	}
	if code, _, _ := f.call(t, "bob", "POST", "/api/v1/admin/proposals/"+aliceID+"/approve", nil); code != 200 {
		t.Fatal("approving alice's proposal failed")
	}
	code, body, _ = f.call(t, "bob", "POST", "/api/v1/admin/proposals/"+edID+"/approve", nil)
	if code != 409 || !strings.Contains(body["error"].(string), "moved on") {
		t.Errorf("approving a proposal whose campaign moved on = %d %v, want 409", code, body)
	}
	if p, _ := f.svc.Proposal(context.Background(), mustInt(edID)); p.Status != campaign.Failed {
		t.Errorf("the stale proposal is %s, want failed", p.Status)
	}
	// An editor may withdraw their own proposal, not reject another's.
	_, body, _ = f.call(t, "ed", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/5"}, "If-Match", `"3"`)
	ownID := itoaF(body["proposal"].(map[string]any)["id"])
	_, body, _ = f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/6"}, "If-Match", `"3"`)
	otherID := itoaF(body["proposal"].(map[string]any)["id"])
	if code, _, _ := f.call(t, "ed", "POST", "/api/v1/admin/proposals/"+otherID+"/reject", nil); code != 403 {
		t.Errorf("an editor rejecting another's proposal = %d, want 403", code)
	}
	if code, body, _ := f.call(t, "ed", "POST", "/api/v1/admin/proposals/"+ownID+"/reject", map[string]string{"reason": "typo"}); code != 200 || body["proposal"].(map[string]any)["status"] != "cancelled" {
		t.Errorf("withdrawing = %d %v", code, body)
	}
	if code, _, _ := f.call(t, "vi", "GET", "/api/v1/admin/proposals?status=pending", nil); code != 200 {
		t.Errorf("listing proposals = %d", code)
	}
	if n, err := f.st.VerifyAudit(context.Background()); err != nil {
		t.Errorf("audit verify after %d entries: %v", n, err)
	}
}

// itoaF formats a JSON number (an id) as decimal.
func itoaF(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func TestScheduledRotation(t *testing.T) {
	f := newAdminFixture(t, false)
	at := f.clock.Now().Add(2 * time.Hour)
	code, body, _ := f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]any{"target": "https://zalo.me/777", "at": at}, "If-Match", `"1"`)
	if code != 202 || body["proposal"].(map[string]any)["status"] != "approved" {
		t.Fatalf("a scheduled rotation by an admin = %d %v, want 202 approved", code, body)
	}
	if err := f.svc.ApplyDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.svc.Served(context.Background(), "bnv"); c.Version != 1 {
		t.Fatal("applied before its time")
	}
	f.clock.Add(2*time.Hour + time.Second)
	if err := f.svc.ApplyDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.svc.Served(context.Background(), "bnv"); c.Version != 2 || c.Target != "https://zalo.me/777" {
		t.Errorf("after its time: %+v", c)
	}
}

func TestRollbackPreviewHistoryAudit(t *testing.T) {
	f := newAdminFixture(t, false)
	f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/2"}, "If-Match", `"1"`)
	f.call(t, "alice", "PUT", "/api/v1/admin/campaigns/bnv/target", map[string]string{"target": "https://zalo.me/3"}, "If-Match", `"2"`)
	if code, _, _ := f.call(t, "alice", "POST", "/api/v1/admin/campaigns/bnv/rollback", map[string]int{"version": 3}, "If-Match", `"3"`); code != 422 {
		t.Errorf("rolling back to the current version = %d, want 422", code)
	}
	if code, _, _ := f.call(t, "alice", "POST", "/api/v1/admin/campaigns/bnv/rollback", map[string]int{"version": 9}, "If-Match", `"3"`); code != 422 {
		t.Errorf("rolling back to no version = %d, want 422", code)
	}
	code, body, _ := f.call(t, "alice", "POST", "/api/v1/admin/campaigns/bnv/rollback", map[string]int{"version": 1}, "If-Match", `"3"`)
	if code != 200 || body["target"] != "https://zalo.me/1111" || body["version"] != 4.0 {
		t.Fatalf("rollback = %d %v", code, body)
	}
	_, body, _ = f.call(t, "vi", "GET", "/api/v1/admin/campaigns/bnv/history", nil)
	h := body["history"].([]any)
	if len(h) != 4 || h[0].(map[string]any)["kind"] != "rollback" || h[3].(map[string]any)["kind"] != "create" {
		t.Errorf("history = %v", h)
	}
	// Preview renders the new badge and stores nothing.
	before := f.state(t)
	r := httptest.NewRequest("POST", "/api/v1/admin/campaigns/bnv/preview", strings.NewReader(`{"target":"https://zalo.me/9999","size":256}`))
	r.Header.Set("Authorization", "Bearer "+f.tokens["ed"])
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	c, _ := f.svc.Served(context.Background(), "bnv")
	want, _ := badge.Render(badge.Content{Code: "https://zalo.me/9999", Title: c.Title, Caption: c.Caption}, badge.Variant{Format: badge.SVG, Size: 256, Density: 1})
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), want) || w.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("preview = %d (%d bytes), want the new badge's SVG", w.Code, w.Body.Len())
	}
	if f.state(t) != before {
		t.Error("a preview changed state")
	}
	// The audit log: filters, CSV for Excel, and an intact chain.
	_, body, _ = f.call(t, "vi", "GET", "/api/v1/admin/audit?subject=bnv&action=campaign.", nil)
	es := body["entries"].([]any)
	if len(es) != 4 {
		t.Errorf("audit for bnv campaign actions: %d entries, want 4", len(es))
	}
	e := es[0].(map[string]any)
	if e["action"] != "campaign.rollback" || e["actor"] != "alice" || e["ip"] != "192.0.2.10" || e["user_agent"] != "admin-test/1" ||
		!strings.Contains(e["before"].(string), "zalo.me/3") || !strings.Contains(e["after"].(string), "zalo.me/1111") {
		t.Errorf("newest audit entry = %v", e)
	}
	_, _, res := f.call(t, "vi", "GET", "/api/v1/admin/audit?format=csv&since=2026-07-01", nil)
	csv, _ := io.ReadAll(res.Body)
	if !bytes.HasPrefix(csv, []byte("\ufeffseq,at,actor,role,action,subject")) || !strings.Contains(string(csv), "campaign.rollback") {
		t.Errorf("audit CSV:\n%s", csv)
	}
	for _, q := range []string{"since=yesterday", "limit=0", "format=xml"} {
		if code, _, _ := f.call(t, "vi", "GET", "/api/v1/admin/audit?"+q, nil); code != 400 {
			t.Errorf("audit?%s = %d, want 400", q, code)
		}
	}
	if _, err := f.st.VerifyAudit(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestSessionLoginCSRFAndLimits(t *testing.T) {
	f := newAdminFixture(t, false)
	login := func(name, pw, xff string) (int, *http.Response, map[string]any) {
		b, _ := json.Marshal(map[string]string{"name": name, "password": pw})
		r := httptest.NewRequest("POST", "/api/v1/admin/login", bytes.NewReader(b))
		r.RemoteAddr = "198.51.100.1:999"
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		var out map[string]any
		json.NewDecoder(w.Result().Body).Decode(&out)
		return w.Code, w.Result(), out
	}
	code, res, body := login("alice", password, "")
	if code != 200 || body["csrf"] == "" {
		t.Fatalf("login = %d %v", code, body)
	}
	ck := res.Cookies()[0]
	if ck.Name != "oabadge_session" || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || !ck.Secure {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Secure behind https", ck)
	}
	put := func(csrf string) int {
		r := httptest.NewRequest("PUT", "/api/v1/admin/campaigns/bnv/target", strings.NewReader(`{"target":"https://zalo.me/55"}`))
		r.AddCookie(ck)
		r.Header.Set("If-Match", `"1"`)
		if csrf != "" {
			r.Header.Set("X-CSRF-Token", csrf)
		}
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		return w.Code
	}
	if code := put(""); code != 403 {
		t.Errorf("a cookie request without CSRF token = %d, want 403", code)
	}
	if code := put("wrong"); code != 403 {
		t.Errorf("a cookie request with a wrong CSRF token = %d, want 403", code)
	}
	if code := put(body["csrf"].(string)); code != 200 {
		t.Errorf("a cookie request with the CSRF token = %d, want 200", code)
	}
	// The session expires.
	f.clock.Add(9 * time.Hour)
	r := httptest.NewRequest("GET", "/api/v1/admin/campaigns", nil)
	r.AddCookie(ck)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Errorf("an expired session = %d, want 401", w.Code)
	}
	// Five failures lock the account, whatever X-Forwarded-For says.
	for i := 0; i < 5; i++ {
		if code, _, _ := login("bob", "wrong password!", "203.0.113."+itoa(i)); code != 401 {
			t.Fatalf("failure %d = %d, want 401", i+1, code)
		}
	}
	code, res, body = login("bob", password, "203.0.113.99")
	if code != 429 || res.Header.Get("Retry-After") == "" || !strings.Contains(body["error"].(string), "try again in") {
		t.Errorf("after five failures the right password = %d %v, want 429 with Retry-After", code, body)
	}
	if code, _, _ := login("alice", password, ""); code != 200 {
		t.Errorf("another account from the same address = %d, want 200 (under the address limit)", code)
	}
	if code, _, _ := login("ghost", "whatever-long-pw", ""); code != 401 {
		t.Errorf("an unknown account = %d, want 401", code)
	}
}

func TestAccountsAndTokensAPI(t *testing.T) {
	f := newAdminFixture(t, false)
	if code, body, _ := f.call(t, "alice", "POST", "/api/v1/admin/accounts", map[string]string{"name": "carol", "role": "editor", "password": "short"}); code != 422 {
		t.Errorf("a short password = %d %v", code, body)
	}
	if code, _, _ := f.call(t, "alice", "POST", "/api/v1/admin/accounts", map[string]string{"name": "carol", "role": "editor", "password": password}); code != 201 {
		t.Fatal("creating carol failed")
	}
	if code, _, _ := f.call(t, "alice", "POST", "/api/v1/admin/accounts", map[string]string{"name": "carol", "role": "editor", "password": password}); code != 409 {
		t.Errorf("a duplicate account = %d, want 409", code)
	}
	// A token acts as its owner: an admin minting one for another account
	// could act as them (and approve their own changes as a second admin).
	for _, who := range []string{"carol", "bob"} {
		if code, body, _ := f.call(t, "alice", "POST", "/api/v1/admin/tokens", map[string]string{"name": "ci", "role": "editor", "account": who}); code != 403 {
			t.Errorf("alice minting a token for %s = %d %v, want 403", who, code, body)
		}
	}
	if ts, _ := f.app.Auth.Tokens(context.Background(), testActor); len(ts) != 4 {
		t.Errorf("refused tokens were stored: %d tokens", len(ts))
	}
	if code, body, _ := f.call(t, "ed", "POST", "/api/v1/admin/tokens", map[string]string{"name": "ci", "role": "admin"}); code != 403 && code != 422 {
		t.Errorf("an editor minting an admin token = %d %v, want a refusal", code, body)
	}
	code, body, _ := f.call(t, "alice", "POST", "/api/v1/admin/tokens", map[string]string{"name": "ci", "role": "editor"})
	secret, _ := body["token"].(string)
	if code != 201 || !strings.HasPrefix(secret, "oab_") || body["account"] != "alice" {
		t.Fatalf("creating a token for oneself = %d %v", code, body)
	}
	_, body, _ = f.call(t, "alice", "GET", "/api/v1/admin/tokens", nil)
	if strings.Contains(jsonString(body), secret) || strings.Contains(jsonString(body), "secret") {
		t.Error("the token list shows a secret")
	}
	f.tokens["alice-ci"] = secret
	if code, body, _ := f.call(t, "alice-ci", "GET", "/api/v1/admin/me", nil); code != 200 || body["name"] != "alice" || body["role"] != "admin" {
		t.Errorf("alice's new editor token = %d %v", code, body)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCampaignLook sets a campaign's default theme and layout and checks
// that bare badge URLs follow them while explicit ones still win.
func TestCampaignLook(t *testing.T) {
	f := newAdminFixture(t, false)
	if code, body, _ := f.call(t, "ed", "PATCH", "/api/v1/admin/campaigns/bnv", map[string]string{"theme": "neon"}, "If-Match", `"1"`); code != 422 {
		t.Errorf("an unknown theme = %d %v", code, body)
	}
	if code, body, _ := f.call(t, "ed", "PATCH", "/api/v1/admin/campaigns/bnv", map[string]string{"theme": "dark"}); code != 428 {
		t.Errorf("a change without If-Match = %d %v, want 428", code, body)
	}
	// An editor's change of the look waits for an admin, like a rotation.
	code, body, _ := f.call(t, "ed", "PATCH", "/api/v1/admin/campaigns/bnv", map[string]string{"theme": "dark", "layout": "card"}, "If-Match", `"1"`)
	if code != 202 {
		t.Fatalf("an editor setting the look = %d %v, want 202 (a proposal)", code, body)
	}
	if bare := body2(t, f.do(t, "GET", "/b/bnv.svg")); strings.Contains(bare, "#111827") {
		t.Error("an editor's proposed look was served before approval")
	}
	id := itoaF(dig(body, "proposal", "id"))
	if code, body, _ = f.call(t, "alice", "POST", "/api/v1/admin/proposals/"+id+"/approve", nil); code != 200 {
		t.Fatalf("approving the look = %d %v", code, body)
	}
	if code, body, _ = f.call(t, "vi", "GET", "/api/v1/admin/campaigns/bnv", nil); dig(body, "look", "theme") != "dark" || dig(body, "look", "layout") != "card" || body["version"] != 2.0 {
		t.Fatalf("after approval the campaign = %d %v, want the dark card look at version 2", code, body)
	}
	bare := body2(t, f.do(t, "GET", "/b/bnv.svg"))
	if !strings.Contains(bare, `width="384" height="192"`) || !strings.Contains(bare, "#111827") {
		t.Errorf("a bare badge URL does not follow the look (dark card at the smallest offered card size):\n%.300s", bare)
	}
	explicit := body2(t, f.do(t, "GET", "/b/bnv.svg?theme=light&layout=badge&size=192"))
	if !strings.Contains(explicit, `width="192" height="240"`) || strings.Contains(explicit, "#111827") {
		t.Error("an explicit query did not win over the look")
	}
	if r := f.do(t, "GET", "/b/bnv.svg?size=128"); r.StatusCode != 400 {
		t.Errorf("a card look with an explicit size 128 = %d, want 400", r.StatusCode)
	}
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// TestHeadersOnEveryRoute checks the security headers route by route:
// nosniff and HSTS (behind https) everywhere, and on HTML pages a CSP
// without unsafe-inline; the console and the webmaster page may not be
// framed, the iframe page may.
func TestHeadersOnEveryRoute(t *testing.T) {
	f := newAdminFixture(t, false)
	type want struct{ html, frameable bool }
	routes := map[string]want{
		"/":                       {html: true},
		"/?lang=en":               {html: true},
		"/b/bnv.svg":              {},
		"/b/bnv.png":              {},
		"/e/bnv":                  {html: true, frameable: true},
		"/embed.js":               {},
		"/go/bnv":                 {},
		"/s/bnv":                  {},
		"/p/bnv.pdf?paper=a6":     {},
		"/api/v1/campaigns":       {},
		"/api/v1/campaigns/bnv":   {},
		"/healthz":                {},
		"/readyz":                 {},
		"/metrics":                {},
		"/static/style.css":       {},
		"/admin/login":            {html: true},
		"/admin":                  {html: true},
		"/admin/audit":            {html: true},
		"/admin/report":           {html: true},
		"/api/v1/admin/campaigns": {},
		"/nope":                   {},
	}
	for path, w := range routes {
		r := httptest.NewRequest("GET", path, nil)
		if strings.HasPrefix(path, "/admin") && path != "/admin/login" || strings.HasPrefix(path, "/api/v1/admin") {
			r.Header.Set("Authorization", "Bearer "+f.tokens["alice"])
		}
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, r)
		h := rec.Header()
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s (%d): no nosniff", path, rec.Code)
		}
		if h.Get("Strict-Transport-Security") == "" {
			t.Errorf("GET %s (%d): no HSTS behind an https public URL", path, rec.Code)
		}
		if !w.html {
			continue
		}
		csp := h.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		framed := strings.Contains(csp, "frame-ancestors 'none'") || h.Get("X-Frame-Options") == "DENY"
		if framed == w.frameable {
			t.Errorf("GET %s: frameable is %v, want %v (CSP %q, X-Frame-Options %q)", path, !framed, w.frameable, csp, h.Get("X-Frame-Options"))
		}
	}
}

// Under the two-person rule an admin's reset of another's password holds
// that account's role for another admin; the answer says so (202 with the
// account), rather than a bare success.
func TestPasswordResetSaysTheRoleIsHeld(t *testing.T) {
	for _, twoPerson := range []bool{true, false} {
		f := newAdminFixture(t, twoPerson)
		code, out, _ := f.call(t, "alice", "POST", "/api/v1/admin/accounts/ed/password", map[string]string{"password": "a-new-long-password"})
		switch {
		case twoPerson && (code != 202 || out["role"] != "viewer" || out["pending_role"] != "editor"):
			t.Errorf("two-person reset: %d %v; want 202, a viewer with editor pending", code, out)
		case !twoPerson && code != 204:
			t.Errorf("reset without two-person: %d %v; want 204", code, out)
		}
	}
}
