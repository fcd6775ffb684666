package compliance_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/oabadge/oabadge/internal/compliance"
)

func TestParseCSV(t *testing.T) {
	good := "name,kind,homepage,parent,contact\n" +
		"Sở Nội vụ,department,https://sonoivu.hungyen.example,,Phòng CNTT\n" +
		"UBND huyện Văn Lâm,district,http://VANLAM.hungyen.example,,\n" +
		"UBND xã Lạc Đạo,commune,https://lacdao.vanlam.example/trang-chu,UBND huyện Văn Lâm,\n"
	for name, in := range map[string]string{
		"plain":     good,
		"bom":       "\ufeff" + good,
		"nfd":       norm.NFD.String(good),
		"semicolon": strings.ReplaceAll(strings.ReplaceAll(good, ",", ";"), "Lạc Đạo;", "Lạc Đạo;"),
		"crlf":      strings.ReplaceAll(good, "\n", "\r\n"),
	} {
		t.Run(name, func(t *testing.T) {
			as, err := compliance.ParseCSV(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != 3 || as[0].Name != "Sở Nội vụ" || as[1].Homepage != "http://vanlam.hungyen.example/" || as[2].Parent != "UBND huyện Văn Lâm" ||
				as[0].Contact != "Phòng CNTT" || as[2].Line != 4 || as[2].Kind != compliance.Commune {
				t.Errorf("ParseCSV = %+v", as)
			}
		})
	}
	bad := "kind,name,homepage\n" +
		"department,Sở A,https://a.example\n" +
		"ministry,Sở B,https://b.example\n" +
		"unit,,https://c.example\n" +
		"unit,Sở D,ftp://d.example\n" +
		"unit,sở a,https://a2.example\n" +
		"district,Huyện E,https://e.example\n"
	_, err := compliance.ParseCSV(strings.NewReader(bad))
	var ie *compliance.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("ParseCSV(bad) = %v, want an ImportError", err)
	}
	var lines []int
	for _, r := range ie.Rows {
		lines = append(lines, r.Line)
	}
	if !reflect.DeepEqual(lines, []int{3, 4, 5, 6}) {
		t.Errorf("bad lines = %v (%v), want 3, 4, 5, 6", lines, ie)
	}
	for _, want := range []string{"line 3: kind \"ministry\"", "line 4: the name is empty", "line 5: homepage", `line 6: "sở a" is already on line 2`} {
		if !strings.Contains(ie.Error(), want) {
			t.Errorf("import error %q lacks %q", ie.Error(), want)
		}
	}
	for in, msg := range map[string]string{
		"":                             "empty",
		"name,homepage\nA,https://a":   `no "kind" column`,
		"name,kind,homepage\n":         "no agencies",
		"name,kind,homepage\n\xff,,\n": "not UTF-8",
	} {
		if _, err := compliance.ParseCSV(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseCSV(%q) = %v, want %q", in, err, msg)
		}
	}
}

func TestCSP(t *testing.T) {
	page, _ := url.Parse("https://portal.example/trang-chu")
	img, _ := url.Parse("https://badge.example.gov.vn/b/bnv.svg")
	script, _ := url.Parse("https://badge.example.gov.vn/embed.js")
	tests := []struct {
		policy string
		form   compliance.Form
		target *url.URL
		block  string // the blocking directive, "" when allowed
	}{
		{"", compliance.FormImage, img, ""},
		{"img-src 'self'", compliance.FormImage, img, "img-src"},
		{"img-src 'self' https://badge.example.gov.vn", compliance.FormImage, img, ""},
		{"img-src *", compliance.FormImage, img, ""},
		{"img-src https:", compliance.FormImage, img, ""},
		{"img-src *.example.gov.vn", compliance.FormImage, img, ""},
		{"img-src *.other.vn data:", compliance.FormImage, img, "img-src"},
		{"img-src https://badge.example.gov.vn:8443", compliance.FormImage, img, "img-src"},
		{"img-src https://badge.example.gov.vn/b/", compliance.FormImage, img, ""},
		{"img-src 'none'", compliance.FormImage, img, "img-src"},
		{"default-src 'self'", compliance.FormImage, img, "default-src"},
		{"default-src 'self'; img-src https://badge.example.gov.vn", compliance.FormImage, img, ""},
		{"script-src 'self' https://badge.example.gov.vn", compliance.FormScript, script, ""},
		{"script-src 'self'", compliance.FormScript, script, "script-src"},
		{"script-src-elem https://badge.example.gov.vn; script-src 'none'", compliance.FormScript, script, ""},
		{"script-src 'nonce-abc' 'strict-dynamic' https://badge.example.gov.vn", compliance.FormScript, script, "script-src"},
		{"child-src 'self'", compliance.FormFrame, img, "child-src"},
		{"frame-src https://badge.example.gov.vn; child-src 'none'", compliance.FormFrame, img, ""},
		{"img-src 'self', img-src https://badge.example.gov.vn", compliance.FormImage, img, ""}, // one of two policies (checked below)
	}
	for _, tt := range tests {
		t.Run(tt.policy+" "+string(tt.form), func(t *testing.T) {
			var got string
			for _, p := range compliance.ParsePolicies(tt.policy) {
				if d, blocked := p.Blocked(tt.form, tt.target, page); blocked {
					got = d
					break
				}
			}
			want := tt.block
			if strings.Contains(tt.policy, ",") {
				want = "img-src" // every policy must allow it
			}
			if got != want {
				t.Errorf("%q for %s: blocked by %q, want %q", tt.policy, tt.form, got, want)
			}
		})
	}
	p := compliance.ParsePolicies("default-src 'none'; img-src 'self' data:")[0]
	if got := p.FixLine(compliance.FormImage, "https://badge.example.gov.vn"); got != "img-src 'self' data: https://badge.example.gov.vn" {
		t.Errorf("FixLine = %q", got)
	}
	if got := p.FixLine(compliance.FormFrame, "https://badge.example.gov.vn"); got != "frame-src https://badge.example.gov.vn" {
		t.Errorf("FixLine for a frame under default-src 'none' = %q", got)
	}
}

// memStore counts what is flushed, and can be made to fail.
type memStore struct {
	mu   sync.Mutex
	fail bool
	got  map[string]int64
}

// AddCounts keeps the sites per campaign and day under maxSites as a
// database store does, through compliance.BoundSites.
func (m *memStore) AddCounts(_ context.Context, cs []compliance.Count, maxSites int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("database down")
	}
	list := func(campaign, day string) (map[string]bool, error) {
		out := map[string]bool{}
		for k := range m.got {
			f := strings.Split(k, "|")
			if f[0] == campaign && f[2] == day && f[1] != compliance.OtherSite {
				out[f[1]] = true
			}
		}
		return out, nil
	}
	stored := func(campaign, day string) (int, error) { l, err := list(campaign, day); return len(l), err }
	cs, err := compliance.BoundSites(cs, maxSites, stored, list)
	if err != nil {
		return err
	}
	for _, c := range cs {
		m.got[c.Campaign+"|"+c.Site+"|"+c.Day+"|"+c.Event.String()] += c.N
	}
	return nil
}

func TestCounter(t *testing.T) {
	now := time.Date(2026, 7, 1, 20, 0, 0, 0, time.UTC) // 03:00 on 2 July in Vietnam
	c := compliance.NewCounter(0, func() time.Time { return now })
	st := &memStore{got: map[string]int64{}}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c.Add(compliance.Image, "bnv", fmt.Sprintf("https://portal%d.example/trang-chu?x=%d", i%5, i), "")
				if i%10 == 0 {
					c.Add(compliance.Click, "bnv", "", "https://portal0.example")
				}
			}
		}()
	}
	wg.Wait()
	st.fail = true
	if err := c.Flush(context.Background(), st, 0); err == nil {
		t.Fatal("Flush into a failing store succeeded")
	}
	if c.Pending() != 8*1000+8*100 {
		t.Fatalf("after a failed flush %d events wait, want all %d", c.Pending(), 8*1100)
	}
	st.fail = false
	if err := c.Flush(context.Background(), st, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if n := st.got[fmt.Sprintf("bnv|https://portal%d.example|2026-07-02|image", i)]; n != 8*200 {
			t.Errorf("portal%d: %d impressions, want %d", i, n, 8*200)
		}
	}
	if n := st.got["bnv|https://portal0.example|2026-07-02|click"]; n != 800 {
		t.Errorf("clicks from Origin: %d, want 800", n)
	}
	if c.Pending() != 0 {
		t.Error("events remain after a flush")
	}
}

// TestCounterFlushesEveryCountOnce adds from many goroutines while flushes
// run, some into a failing store, with more shards than cores: every
// count reaches the store exactly once, and no flush holds more sites than
// the bound (run with -race).
func TestCounterFlushesEveryCountOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8)) // eight shards
	const workers, each, sites, maxKeys = 8, 5000, 40, 25
	c := compliance.NewCounter(maxKeys, nil)
	st := &memStore{got: map[string]int64{}}
	var mu sync.Mutex // st is not safe for concurrent flushes
	flush := func(fail bool) {
		mu.Lock()
		defer mu.Unlock()
		st.fail = fail
		if err := c.Flush(context.Background(), st, 1000); err != nil && !fail {
			t.Errorf("Flush: %v", err)
		}
	}
	done := make(chan struct{})
	var flushes sync.WaitGroup
	flushes.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			flush(i%3 == 0)
			time.Sleep(100 * time.Microsecond)
		}
	})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				c.Add(compliance.Image, "bnv", fmt.Sprintf("https://portal%d.example/", (w*each+i)%sites), "")
			}
		})
	}
	wg.Wait()
	close(done)
	flushes.Wait()
	flush(false)
	var total int64
	for k, n := range st.got {
		if !strings.HasPrefix(k, "bnv|") {
			t.Errorf("stored key %q", k)
		}
		total += n
	}
	if total != workers*each {
		t.Errorf("stored %d counts, want %d", total, workers*each)
	}
	if c.Pending() != 0 {
		t.Errorf("%d counts pending after the last flush", c.Pending())
	}
	// Within one interval the bound holds however the adds interleave.
	for i := range 200 {
		c.Add(compliance.Click, "bnv", fmt.Sprintf("https://flood%d.example/", i), "")
	}
	st.got = map[string]int64{}
	flush(false)
	sitesSeen := 0
	for k := range st.got {
		if !strings.Contains(k, "|"+compliance.OtherSite+"|") {
			sitesSeen++
		}
	}
	if sitesSeen != maxKeys || st.got["bnv|"+compliance.OtherSite+"|"+compliance.Day(time.Now())+"|click"] != 200-maxKeys {
		t.Errorf("one flush after 200 sites holds %d sites (want the bound, %d) and %v", sitesSeen, maxKeys, st.got)
	}
}

func TestCounterSitesAndBounds(t *testing.T) {
	c := compliance.NewCounter(3, nil)
	st := &memStore{got: map[string]int64{}}
	for _, ref := range []string{"", "not a url", "https://user@evil.example/", "javascript:alert(1)", "https://A.example/", "https://ok.example:8443/x"} {
		c.Add(compliance.Image, "bnv", ref, "")
	}
	for i := 0; i < 10; i++ {
		c.Add(compliance.Image, "bnv", fmt.Sprintf("https://flood%d.example/", i), "")
	}
	c.Flush(context.Background(), st, 0)
	day := compliance.Day(time.Now())
	if st.got["bnv|(none)|"+day+"|image"] != 5 || st.got["bnv|https://ok.example:8443|"+day+"|image"] != 1 {
		t.Errorf("sites: %v", st.got)
	}
	if st.got["bnv|(other)|"+day+"|image"] != 9 || st.got["bnv|https://flood0.example|"+day+"|image"] != 1 || len(st.got) != 4 {
		t.Errorf("past the key bound new sites must count as (other): %v", st.got)
	}
	if a := testing.AllocsPerRun(100, func() { c.Add(compliance.Image, "bnv", "https://ok.example:8443/x", "") }); a != 0 {
		t.Errorf("Add of a counted key allocates %v times", a)
	}
}

// portal serves one test homepage.
func portal(t *testing.T, h http.HandlerFunc) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

func htmlPage(csp, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if csp != "" {
			w.Header().Set("Content-Security-Policy", csp)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><title>Cổng</title></head><body>%s</body></html>", body)
	}
}

// headPage serves a homepage with head markup (a <meta> policy, the
// generator tag) as well as a body.
func headPage(csp, head, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if csp != "" {
			w.Header().Set("Content-Security-Policy", csp)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>Cổng</title>%s</head><body><p>Trang chủ</p>%s</body></html>", head, body)
	}
}

func TestChecker(t *testing.T) {
	o := newBadgeOrigin(t, map[string]string{"bnv": "https://zalo.me/1111", "tinh": "https://zalo.me/2222"})
	pub := o.URL
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	var loop string
	loop = portal(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, loop+"/again", http.StatusFound) })
	script := o.snippet("script", "bnv")
	type want struct {
		status string
		reason string // a part of the reason
		fix    string // the whole fix, when set
	}
	tests := []struct {
		name string
		h    http.HandlerFunc
		want want
	}{
		{"script", htmlPage("", script), want{compliance.Embedded, "script runs and its image loads", ""}},
		{"reserved", htmlPage("", o.snippet("reserved", "bnv")), want{compliance.Embedded, "", ""}},
		{"placeholder", htmlPage("", `<div data-oabadge="bnv"></div><script src="`+pub+`/embed.js"></script>`), want{compliance.Embedded, "", ""}},
		{"image", htmlPage("", `<a href="`+pub+`/go/bnv"><IMG SRC="`+pub+`/b/bnv.png?size=256"></a>`), want{compliance.Embedded, "image form", ""}},
		{"iframe", htmlPage("", o.snippet("iframe", "bnv")), want{compliance.Embedded, "iframe", ""}},
		{"nothing", htmlPage("", `<p>Trang chủ. <!-- `+pub+`/b/bnv.svg in a comment is not an embed --></p><script>var u = "`+pub+`/b/bnv.svg";</script>`), want{compliance.Missing, "no script, image or iframe", ""}},
		{"other", htmlPage("", `<img src="`+pub+`/b/tinh.svg">`), want{compliance.Missing, "", ""}},
		{"csp", htmlPage("default-src 'self'; img-src 'self' data:", `<img src="`+pub+`/b/bnv.svg">`),
			want{compliance.Blocked, "img-src", "default-src 'self'; img-src 'self' data: " + pub}},
		{"meta-csp", headPage("", `<meta http-equiv="Content-Security-Policy" content="script-src 'self'">`, script),
			want{compliance.Blocked, "script-src", "script-src 'self' " + pub}},
		{"meta-csp-in-body", htmlPage("", `<meta http-equiv="Content-Security-Policy" content="script-src 'self'">`+script), want{compliance.Embedded, "", ""}},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select { // past the checker's timeout
			case <-hang:
			case <-r.Context().Done():
			}
		}, want{compliance.Unreachable, "in time", ""}},
		{"huge", htmlPage("", strings.Repeat("<p>nội dung</p>", 100000)+`<img src="`+pub+`/b/bnv.svg">`), want{compliance.Missing, "only the first 256 KiB", ""}},
		{"error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, want{compliance.HTTPError, "HTTP 500", ""}},
		{"relative", htmlPage("", `<base href="`+pub+`/"><img src="b/bnv.svg">`), want{compliance.Embedded, "", ""}},
		// The two cases of the issue: any allowed form used to count.
		{"script-blocked-img-allowed", htmlPage("img-src * data:; script-src 'self'", script),
			want{compliance.Blocked, "blocked by the page's CSP (script-src)", "img-src * data:; script-src 'self' " + pub}},
		{"script-allowed-img-blocked", htmlPage("img-src 'self'; script-src 'self' "+pub, script),
			want{compliance.Blocked, "the image it loads is blocked by the page's CSP (img-src)", "img-src 'self' " + pub + "; script-src 'self' " + pub}},
		{"pinned-404", htmlPage("", strings.Replace(script, o.file, "v1-00000000aa.js", 1)),
			want{compliance.Broken, "the pinned script v1-00000000aa.js answers 404: re-copy the snippet", ""}},
		{"integrity-mismatch", htmlPage("", strings.Replace(script, o.integrity, "sha384-"+strings.Repeat("A", 64), 1)),
			want{compliance.Broken, "integrity value does not match", ""}},
		{"integrity-no-crossorigin", htmlPage("", strings.Replace(script, ` crossorigin="anonymous"`, "", 1)),
			want{compliance.Broken, "no crossorigin", ""}},
		{"noscript-only", htmlPage("", `<noscript><a href="`+pub+`/go/bnv"><img src="`+pub+`/b/bnv.svg"></a></noscript>`),
			want{compliance.Broken, "only the <noscript> fallback", ""}},
		{"placeholder-no-script", htmlPage("", `<div data-oabadge="bnv"></div>`), want{compliance.Broken, "no script of this server", ""}},
		{"consent-held", htmlPage("", strings.Replace(script, "<script ", `<script type="text/plain" `, 1)), want{compliance.Broken, "type attribute", ""}},
		{"nonce", htmlPage("script-src 'nonce-r4nd0m' 'strict-dynamic'", strings.Replace(script, "<script ", `<script nonce="r4nd0m" `, 1)),
			want{compliance.Embedded, "", ""}},
		{"strict-dynamic", htmlPage("script-src 'nonce-r4nd0m' 'strict-dynamic'; img-src 'self'", script),
			want{compliance.Blocked, "script-src", "script-src 'nonce-r4nd0m' 'strict-dynamic'; img-src 'self' " + pub}},
		{"template", htmlPage("", `<template>`+script+`</template>`), want{compliance.Missing, "", ""}},
	}
	var agencies []compliance.Agency
	for _, tt := range tests {
		u := loop
		if tt.name != "loop" {
			u = portal(t, tt.h)
		}
		agencies = append(agencies, compliance.Agency{ID: int64(len(agencies) + 1), Name: tt.name, Kind: compliance.Unit, Homepage: u})
	}
	agencies = append(agencies, compliance.Agency{ID: 99, Name: "loop", Kind: compliance.Unit, Homepage: loop})
	c := &compliance.Checker{PublicURL: pub, Concurrency: 4, Timeout: 2 * time.Second, MaxBody: 256 << 10, MaxRedirects: 3, AllowPrivate: true}
	results := c.Check(context.Background(), agencies, []string{"bnv"})
	if len(results) != len(agencies) {
		t.Fatalf("%d results for %d agencies", len(results), len(agencies))
	}
	byName := map[string]compliance.Result{}
	for _, r := range results {
		byName[r.Agency] = r
	}
	tests = append(tests, struct {
		name string
		h    http.HandlerFunc
		want want
	}{"loop", nil, want{compliance.Unreachable, "redirect", ""}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := byName[tt.name]
			t.Logf("%s: %s | fix %q | where %q", r.Status, r.Reason, r.Fix, r.FixWhere)
			if r.Status != tt.want.status || !strings.Contains(r.Reason, tt.want.reason) {
				t.Errorf("status %s (%s), want %s (%q)", r.Status, r.Reason, tt.want.status, tt.want.reason)
			}
			if tt.want.fix != "" && r.Fix != tt.want.fix {
				t.Errorf("fix %q, want %q", r.Fix, tt.want.fix)
			}
		})
	}
	if r := byName["script"]; !reflect.DeepEqual(r.Forms, []compliance.Form{compliance.FormScript}) || len(r.Findings) != 2 || !r.Findings[1].Fallback {
		t.Errorf("script: forms %v, findings %+v: want the script form and its noscript fallback", r.Forms, r.Findings)
	}
	// An image of a campaign this server does not know answers 404.
	ghost := portal(t, htmlPage("", `<img src="`+pub+`/b/ghost.svg">`))
	if rs := c.Check(context.Background(), []compliance.Agency{{ID: 1, Name: "ghost", Homepage: ghost}}, []string{"ghost"}); len(rs) != 1 ||
		rs[0].Status != compliance.Broken || !strings.Contains(rs[0].Reason, "the image answers 404") {
		t.Errorf("ghost: %+v, want broken with a 404", rs)
	}
	// One fetch of each resource for the whole run, however many pages.
	if n := o.hitsOn("/embed/" + o.file); n != 1 {
		t.Errorf("the pinned script was fetched %d times, want once", n)
	}
}

func TestReport(t *testing.T) {
	today := time.Date(2026, 7, 31, 5, 0, 0, 0, time.UTC)
	agencies := []compliance.Agency{
		{ID: 1, Name: "A", Kind: compliance.Department, Homepage: "https://www.a.example/"},
		{ID: 2, Name: "B", Kind: compliance.District, Homepage: "https://b.example/"},
		{ID: 3, Name: "C", Kind: compliance.Commune, Homepage: "https://c.example/"},
	}
	latest := []compliance.Result{
		{AgencyID: 1, Campaign: "bnv", Status: compliance.Embedded},
		{AgencyID: 2, Campaign: "bnv", Status: compliance.Blocked, Fix: "img-src x"},
		{AgencyID: 2, Campaign: "other", Status: compliance.Embedded},
	}
	counts := []compliance.Count{
		{Campaign: "bnv", Site: "https://a.example", Day: "2026-07-30", Event: compliance.Image, N: 5},
		{Campaign: "bnv", Site: "https://www.c.example", Day: "2026-07-29", Event: compliance.Image, N: 2},
		{Campaign: "bnv", Site: "https://www.c.example", Day: "2026-07-05", Event: compliance.Image, N: 3},
		{Campaign: "", Site: "https://c.example", Day: "2026-07-30", Event: compliance.Script, N: 1},
		{Campaign: "bnv", Site: "https://c.example", Day: "2026-07-30", Event: compliance.Click, N: 4},
		{Campaign: "bnv", Site: "https://unknown.example", Day: "2026-07-20", Event: compliance.Image, N: 7},
		{Campaign: "bnv", Site: "https://old.example", Day: "2026-06-01", Event: compliance.Image, N: 7},
		{Campaign: "other", Site: "https://b.example", Day: "2026-07-30", Event: compliance.Image, N: 9},
	}
	r := compliance.BuildReport("bnv", agencies, latest, counts, today)
	if r.Compliant != 2 {
		t.Errorf("%d compliant, want 2 (A embedded, C seen)", r.Compliant)
	}
	c := r.Rows[2]
	if c.Impressions != [2]int64{3, 6} || c.Clicks != [2]int64{4, 4} || c.LastSeen != "2026-07-30" || c.Status != "" || !c.Compliant {
		t.Errorf("C = %+v", c)
	}
	if b := r.Rows[1]; b.Status != compliance.Blocked || b.Impressions[1] != 0 || b.Compliant || b.Fix != "img-src x" {
		t.Errorf("B = %+v", b)
	}
	if len(r.Unmatched) != 1 || r.Unmatched[0].Site != "https://unknown.example" || r.Unmatched[0].Impressions != 7 {
		t.Errorf("unmatched = %+v", r.Unmatched)
	}
	if n := len(r.Filter(compliance.District, "")); n != 1 {
		t.Errorf("Filter(district) = %d rows", n)
	}
	if n := len(r.Filter("", "noncompliant")); n != 1 {
		t.Errorf("Filter(noncompliant) = %d rows", n)
	}
}

func BenchmarkCounterAdd(b *testing.B) {
	c := compliance.NewCounter(0, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Add(compliance.Image, "bnv", "https://sonoivu.hungyen.example/trang-chu", "")
		}
	})
}
