package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/store/sqlite"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// TestCountsSurviveGracefulShutdown sends badge, script, iframe and
// redirect requests from many referring sites, stops the server, and
// expects the exact counts in the database: the last flush happens on
// shutdown.
func TestCountsSurviveGracefulShutdown(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	a := start(t, db, "--count-flush", "1h") // no periodic flush: only the one at shutdown
	var wg sync.WaitGroup
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 48; i++ {
				for _, path := range []string{"/b/bnv.svg", "/go/bnv", "/embed.js", "/e/bnv"} {
					req, _ := http.NewRequest("GET", a.base+path, nil)
					req.Header.Set("Referer", fmt.Sprintf("https://portal%d.example/trang-chu", i%4))
					resp, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	a.stop()
	if code := <-a.done; code != 0 {
		t.Fatalf("run exited %d", code)
	}
	a.done <- 0
	got := storedCounts(t, db)
	for i := 0; i < 4; i++ {
		site := fmt.Sprintf("https://portal%d.example", i)
		for key, want := range map[string]int64{"bnv " + site + " image": 96, "bnv " + site + " click": 96, " " + site + " script": 96, "bnv " + site + " frame": 96} {
			if got[key] != want {
				t.Errorf("%s = %d, want %d", key, got[key], want)
			}
		}
	}
}

// TestCountsDuringTheDrainAreKept stops a server with a drain delay and
// sends badge requests while it drains (/readyz fails, requests are still
// served): the final flush, after the last request, counts them.
func TestCountsDuringTheDrainAreKept(t *testing.T) {
	db := filepath.Join(t.TempDir(), "d.db")
	a := start(t, db, "--count-flush", "1h", "--drain-delay", "3s")
	get(t, a.base+"/b/bnv.svg") // drawn and cached before the drain
	a.stop()
	for {
		if r, _ := get(t, a.base+"/readyz"); r.StatusCode == http.StatusServiceUnavailable {
			break
		}
	}
	const n = 20
	for range n {
		req, _ := http.NewRequest("GET", a.base+"/b/bnv.svg", nil)
		req.Header.Set("Referer", "https://draining.example.gov.vn/")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("a request while draining: %v", err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	if code := <-a.done; code != 0 {
		t.Fatalf("run exited %d", code)
	}
	a.done <- 0
	if got := storedCounts(t, db)["bnv https://draining.example.gov.vn image"]; got != n {
		t.Errorf("counted %d impressions from requests served while draining, want %d", got, n)
	}
}

// storedCounts reads the counts in the SQLite file db, by "campaign site
// event".
func storedCounts(t *testing.T, db string) map[string]int64 {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.Counts(context.Background(), "2000-01-01")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, c := range counts {
		got[c.Campaign+" "+c.Site+" "+c.Event.String()] += c.N
	}
	return got
}

func TestAgenciesAndCheckCommands(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "a.db")
	ctx := context.Background()
	// Make the demo campaign exist, as a first start does.
	a := start(t, filepath.Join(dir, "a.db"))
	a.stop()
	<-a.done
	a.done <- 0

	// The sample file imports as it ships.
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"agencies", "import", "../../deploy/sample/agencies.sample.csv", "--db", dsn}, env(), nil, &out, &errOut); code != 0 {
		t.Fatalf("importing the sample = %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "6 agencies, 6 new, 0 updated") {
		t.Errorf("import said %q", out.String())
	}
	// A file with bad lines names each, and writes nothing.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("name,kind,homepage\nA,unit,https://a.example\nB,ministry,https://b.example\nC,unit,not a url\n"), 0o644)
	errOut.Reset()
	if code := run(ctx, []string{"agencies", "import", bad, "--db", dsn}, env(), nil, io.Discard, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "bad.csv:3: kind") || !strings.Contains(errOut.String(), "bad.csv:4: homepage") || !strings.Contains(errOut.String(), "nothing was imported") {
		t.Errorf("bad import = %d: %s", code, errOut.String())
	}
	out.Reset()
	run(ctx, []string{"agencies", "export", "--db", dsn}, env(), nil, &out, io.Discard)
	if !strings.HasPrefix(out.String(), "\ufeffname,kind,homepage,parent,contact\r\n") || strings.Count(out.String(), "\r\n") != 7 || strings.Contains(out.String(), "A,unit") {
		t.Errorf("export:\n%s", out.String())
	}

	// Check two local portals, one with the badge, one without, against
	// a running server (the checker loads what the page references).
	dsn2 := "sqlite:" + filepath.Join(dir, "b.db")
	b := start(t, filepath.Join(dir, "b.db"))
	pub := b.base
	var portalHits atomic.Int64
	with := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		portalHits.Add(1)
		io.WriteString(w, `<html><body><a href="`+pub+`/go/bnv"><img src="`+pub+`/b/bnv.svg" width="192" height="240" alt="Zalo OA"></a></body></html>`)
	}))
	defer with.Close()
	without := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		portalHits.Add(1)
		w.Header().Set("Content-Security-Policy", "img-src 'self'")
		io.WriteString(w, `<html><body>Trang chủ</body></html>`)
	}))
	defer without.Close()
	reg := filepath.Join(dir, "reg.csv")
	os.WriteFile(reg, []byte("name,kind,homepage\nCó mã,unit,"+with.URL+"\nKhông mã,commune,"+without.URL+"\n"), 0o644)
	if code := run(ctx, []string{"agencies", "import", reg, "--db", dsn2}, env(), nil, io.Discard, io.Discard); code != 0 {
		t.Fatal("import failed")
	}
	// Without --check-allow-private, portals on loopback are refused and
	// never fetched: a planted homepage cannot make the checker probe.
	out.Reset()
	errOut.Reset()
	if code := run(ctx, []string{"check", "--db", dsn2, "--public-url", pub, "--json"}, env(), nil, &out, &errOut); code != 1 ||
		strings.Count(out.String(), `"status":"refused"`) != 2 || portalHits.Load() != 0 {
		t.Errorf("check of loopback portals without --check-allow-private = %d, %d hits:\n%s%s", code, portalHits.Load(), out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run(ctx, []string{"check", "--db", dsn2, "--public-url", pub, "--check-allow-private", "--json"}, env(), nil, &out, &errOut); code != 1 {
		t.Fatalf("check with one agency missing the badge = %d, want 1: %s", code, errOut.String())
	}
	var results []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("check --json line %q: %v", line, err)
		}
		results = append(results, r)
	}
	if len(results) != 2 {
		t.Fatalf("check printed %d results, want 2", len(results))
	}
	byName := map[string]map[string]any{}
	for _, r := range results {
		for _, k := range []string{"agency", "homepage", "campaign", "status", "reason"} {
			if _, ok := r[k]; !ok {
				t.Errorf("result lacks %q: %v", k, r)
			}
		}
		byName[r["agency"].(string)] = r
	}
	if byName["Có mã"]["status"] != compliance.Embedded || byName["Không mã"]["status"] != compliance.Missing {
		t.Errorf("check results: %v", results)
	}
	if !strings.Contains(errOut.String(), "1 of 2 checks found the badge shown") {
		t.Errorf("check summary: %q", errOut.String())
	}
	if code := run(ctx, []string{"check", "--db", dsn2, "--public-url", pub, "--check-allow-private", "--exit-zero"}, env(), nil, io.Discard, io.Discard); code != 0 {
		t.Errorf("check --exit-zero = %d, want 0", code)
	}
	b.stop()
	<-b.done
	b.done <- 0
	if code := run(ctx, []string{"check", "--db", dsn2}, env(), nil, io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), "--public-url is required") {
		t.Errorf("check without --public-url = %d", code)
	}
}

func TestPosterCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	dsn := "sqlite:" + db
	a := start(t, db)
	a.stop()
	<-a.done
	a.done <- 0
	ctx := context.Background()
	var out, errOut bytes.Buffer
	file := filepath.Join(dir, "bnv.pdf")
	if code := run(ctx, []string{"poster", "bnv", "--paper", "a6", "--agency", "Bộ phận Một cửa UBND huyện Văn Lâm", "--bleed", "-o", file, "--db", dsn}, env(), nil, &out, &errOut); code != 0 {
		t.Fatalf("poster = %d: %s", code, errOut.String())
	}
	if b, _ := os.ReadFile(file); !bytes.HasPrefix(b, []byte("%PDF-")) || !strings.Contains(out.String(), "1 page(s), a6") {
		t.Errorf("poster wrote %d bytes; said %q", len(b), out.String())
	}
	if code := run(ctx, []string{"agencies", "import", "../../deploy/sample/agencies.sample.csv", "--db", dsn}, env(), nil, io.Discard, io.Discard); code != 0 {
		t.Fatal("import failed")
	}
	out.Reset()
	if code := run(ctx, []string{"poster", "bnv", "--each-agency", "-o", filepath.Join(dir, "each"), "--db", dsn}, env(), nil, &out, &errOut); code != 0 {
		t.Fatalf("each-agency = %d: %s", code, errOut.String())
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "each", "*.pdf")); len(files) != 6 {
		t.Errorf("--each-agency wrote %d files, want 6", len(files))
	}
	out.Reset()
	if code := run(ctx, []string{"poster", "bnv", "--each-agency", "--one-file", "-o", filepath.Join(dir, "all.pdf"), "--paper", "a5", "--db", dsn}, env(), nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "6 page(s), a5") {
		t.Errorf("--one-file = %d: %s %s", code, out.String(), errOut.String())
	}
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"poster", "bnv", "--db", dsn}, 2, "-o is required"},
		{[]string{"poster", "bnv", "-o", file, "--paper", "letter", "--db", dsn}, 2, `--paper "letter"`},
		{[]string{"poster", "nope", "-o", file, "--db", dsn}, 1, `no campaign "nope"`},
		{[]string{"poster", "bnv", "-o", file, "--placement", "desk-1", "--db", dsn}, 1, "placement codes need"},
		{[]string{"poster", "bnv", "-o", file, "--agency", "x", "--each-agency", "--db", dsn}, 2, "do not go together"},
		{[]string{"poster", "bnv", "-o", file, "--form", "stickers", "--paper", "a5", "--db", dsn}, 2, "A4 only"},
		{[]string{"poster", "bnv", "-o", file, "--form", "banner", "--db", dsn}, 2, "--form \"banner\""},
		{[]string{"poster", "bnv", "-o", file, "--form", "tent", "--db", dsn}, 0, ""},
		{[]string{"poster", "bnv", "-o", file, "--form", "stickers", "--db", dsn}, 0, ""},
	} {
		t.Run(tt.msg, func(t *testing.T) {
			var errOut bytes.Buffer
			if code := run(ctx, tt.args, env(), nil, io.Discard, &errOut); code != tt.code || !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("run(%q) = %d %q, want %d and %q", tt.args, code, errOut.String(), tt.code, tt.msg)
			}
		})
	}
}

func TestCSPMergeCommand(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"script form", []string{"--snippet", "script", "default-src 'self'; img-src 'self' data:"}, 0,
			"default-src 'self'; img-src 'self' data: https://badge.example.gov.vn; script-src 'self' https://badge.example.gov.vn\n"},
		{"image form keeps the rest", []string{"--snippet", "img", "img-src 'self'; frame-ancestors 'none'"}, 0,
			"img-src 'self' https://badge.example.gov.vn; frame-ancestors 'none'\n"},
		{"nukeviet boxes", []string{"--snippet", "img", "--cms", "nukeviet", "img-src 'self'"}, 0, "https://badge.example.gov.vn\n"},
		{"unknown snippet", []string{"--snippet", "flash", "img-src 'self'"}, 2, ""},
		{"unknown cms", []string{"--snippet", "img", "--cms", "drupal", "img-src 'self'"}, 2, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"csp", "merge", "--public-url", "https://badge.example.gov.vn"}, tt.args...)
			code := run(context.Background(), args, env(), strings.NewReader(""), &out, &errOut)
			if code != tt.code || (tt.code == 0 && out.String() != tt.out) {
				t.Errorf("csp merge %q = %d %q (%s), want %d %q", tt.args, code, out.String(), errOut.String(), tt.code, tt.out)
			}
		})
	}
}
