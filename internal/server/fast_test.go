package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/fastpath"
	"github.com/oabadge/oabadge/internal/logging"
)

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// served is the whole program serving on 127.0.0.1, as `oabadge serve`
// runs it (app.Serve), logging in JSON to logs.
type served struct {
	addr string
	f    *fixture
	logs *lockedBuffer
	stop func() // stops the server and flushes its logs and counts
}

// serveProgram serves a fresh program with the campaign bnv, with the
// fast path on or off. Counts are written only when it stops.
func serveProgram(t testing.TB, fast bool, mods ...func(*config.Config)) *served {
	t.Helper()
	logs := &lockedBuffer{}
	log, flush := logging.New(logs, "json", "info")
	cfg := testConfig(t)
	cfg.AccessLog, cfg.FastPath, cfg.CountFlush = true, fast, time.Hour
	for _, m := range mods {
		m(&cfg)
	}
	f := newApp(t, cfg, app.Options{Log: log})
	f.create(t, campaign.Campaign{Slug: "bnv", Title: "Zalo OA Bộ Nội vụ", Caption: "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ", Target: "https://zalo.me/1111"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.app.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
			flush()
		})
	}
	t.Cleanup(stop)
	return &served{addr: ln.Addr().String(), f: f, logs: logs, stop: stop}
}

// closer ends every exchange: net/http answers it and closes, so the
// answers before it are all in. (Closing the writing side instead would
// make net/http cancel a request still drawing its badge.)
const closer = "GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"

// exchange sends raw on a new connection, then closer, or with eof
// closes its writing side instead, and returns everything the server
// sends until it closes, reading while it writes. reset says the server
// reset the connection (it closed with requests unread, as net/http does
// after a 400): the client may then have lost the end of what was sent.
func exchange(t testing.TB, addr string, raw []byte, eof bool) (got []byte, reset bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if !eof {
		raw = append(raw[:len(raw):len(raw)], closer...)
	}
	read := make(chan error, 1)
	go func() {
		var err error
		got, err = io.ReadAll(c)
		read <- err
	}()
	_, werr := c.Write(raw)
	if werr == nil && eof {
		werr = c.(*net.TCPConn).CloseWrite()
	}
	err = <-read
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("no end to the answer to %q", clip(raw))
	}
	if werr != nil && !errors.Is(werr, syscall.ECONNRESET) && !errors.Is(werr, syscall.EPIPE) {
		t.Fatalf("writing: %v", werr)
	}
	return got, errors.Is(err, syscall.ECONNRESET)
}

var dateLine = regexp.MustCompile(`\r\nDate: [^\r]*`)

// sameAnswers sends raw to both servers and fails unless they answer
// byte for byte alike but for the Date.
func sameAnswers(t testing.TB, fast, plain *served, raw []byte, eof bool) {
	t.Helper()
	got, gotReset := exchange(t, fast.addr, raw, eof)
	want, wantReset := exchange(t, plain.addr, raw, eof)
	got = dateLine.ReplaceAll(got, []byte("\r\nDate: -"))
	want = dateLine.ReplaceAll(want, []byte("\r\nDate: -"))
	same := bytes.Equal(got, want)
	// A reset may cut what the client reads: then what each read must
	// be the start of the other's.
	switch {
	case gotReset && wantReset:
		same = bytes.HasPrefix(got, want) || bytes.HasPrefix(want, got)
	case gotReset:
		same = bytes.HasPrefix(want, got)
	case wantReset:
		same = bytes.HasPrefix(got, want)
	}
	if !same {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		from := max(i-300, 0)
		t.Errorf("to %q\nthe answers differ from byte %d of %d (fast path, reset %v) and %d (net/http, reset %v):\nfast path: %q\nnet/http:  %q",
			clip(raw), i, len(got), gotReset, len(want), wantReset, clip(got[from:]), clip(want[from:]))
	}
}

// clip shortens b for a message.
func clip(b []byte) []byte {
	if len(b) > 700 {
		return append(b[:700:700], "…"...)
	}
	return b
}

// warm asks both servers for every variant the corpus takes from the
// cache, so both answer from memory.
func warm(t testing.TB, servers ...*served) {
	t.Helper()
	for _, s := range servers {
		for _, p := range []string{"/b/bnv.svg", "/b/bnv.png", "/b/bnv.svg?size=192", "/b/bnv.svg?size=256&theme=dark", "/b/bnv.png?size=256&dpr=2",
			"/b/bnv.svg?layout=card&size=384", "/b/bnv.png?size=128&layout=qr"} {
			if b, _ := exchange(t, s.addr, []byte("GET "+p+" HTTP/1.1\r\nHost: h\r\n\r\n"), false); !bytes.HasPrefix(b, []byte("HTTP/1.1 200 OK")) {
				t.Fatalf("warming %s: %q", p, clip(b))
			}
		}
	}
}

func get(target string, lines ...string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: badge.example.gov.vn\r\n" + strings.Join(lines, "") + "\r\n"
}

// eofMark ends the names of cases sent with the writing side closed.
const eofMark = ", then EOF"

// fastCorpus is what portals' visitors, caches and attackers send.
func fastCorpus() []struct{ name, raw string } {
	const ref = "Referer: https://snv.hanoi.gov.vn/trang-chu\r\n"
	pad := func(n int) string { return "X-Pad: " + strings.Repeat("p", n) + "\r\n" }
	return []struct{ name, raw string }{
		{"svg", get("/b/bnv.svg")},
		{"svg gzip", get("/b/bnv.svg?size=192", "Accept-Encoding: gzip\r\n", ref)},
		{"svg br", get("/b/bnv.svg?size=192", "Accept-Encoding: gzip, deflate, br, zstd\r\n", ref)},
		{"svg q-values", get("/b/bnv.svg?size=192", "Accept-Encoding: br;q=0, gzip;q=0.5\r\n")},
		{"svg identity only", get("/b/bnv.svg?size=192", "Accept-Encoding: identity\r\n")},
		{"png", get("/b/bnv.png", ref)},
		{"png dpr", get("/b/bnv.png?size=256&dpr=2", "Accept-Encoding: gzip\r\n")},
		{"theme from the query", get("/b/bnv.svg?size=256&theme=dark", "Accept-Encoding: br\r\n")},
		{"card", get("/b/bnv.svg?layout=card&size=384")},
		{"cache buster", get("/b/bnv.svg?size=192&v=20261128&_=1")},
		{"escaped key", get("/b/bnv.svg?%73ize=192")},
		{"plus in a value", get("/b/bnv.svg?size=192&theme=+dark")},
		{"repeated key", get("/b/bnv.svg?size=192&size=256")},
		{"bad size", get("/b/bnv.svg?size=193")},
		{"bad theme", get("/b/bnv.svg?theme=%00")},
		{"small card", get("/b/bnv.svg?layout=card&size=128")},
		{"not cached yet", get("/b/bnv.svg?size=512&theme=mono")},
		{"print-size png", get("/b/bnv.png?size=1024&dpr=2")},
		{"unknown campaign", get("/b/nope.svg")},
		{"upper-case slug", get("/b/BNV.svg")},
		{"upper-case format", get("/b/bnv.SVG")},
		{"no format", get("/b/bnv")},
		{"gif", get("/b/bnv.gif")},
		{"double format", get("/b/bnv.svg.svg")},
		{"dot only", get("/b/.svg")},
		{"trailing slash", get("/b/bnv.svg/")},
		{"double slash", get("/b//bnv.svg")},
		{"dot segments", get("/b/../b/bnv.svg")},
		{"just /b/", get("/b/")},
		{"escaped slug", get("/b/%62nv.svg")},
		{"script", get("/embed.js", ref)},
		{"script gzip", get("/embed.js", "Accept-Encoding: gzip\r\n", ref)},
		{"script br", get("/embed.js", "Accept-Encoding: gzip, deflate, br, zstd\r\n")},
		{"script etag star", get("/embed.js", "Accept-Encoding: br\r\n", "If-None-Match: *\r\n")},
		{"script etag no match", get("/embed.js", `If-None-Match: "x"`+"\r\n")},
		{"script with a query", get("/embed.js?v=2")},
		{"script, checker", get("/embed.js", "User-Agent: oabadge-checker/1\r\n")},
		{"script HEAD", "HEAD /embed.js HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"pinned script", get("/embed/nope.js")},
		{"script slash", get("/embed.js/")},
		{"pipelined script and badges", get("/embed.js", "Accept-Encoding: gzip\r\n") + get("/b/bnv.svg", ref) + get("/embed.js")},
		{"not fast", get("/readyz", "Accept-Encoding: gzip\r\n")},
		{"etag", get("/b/bnv.svg?size=192", `If-None-Match: "nope"`+"\r\n")},
		{"etag star", get("/b/bnv.svg?size=192", "If-None-Match: *\r\n")},
		{"etag list", get("/b/bnv.svg?size=192", `If-None-Match: "a", W/"b"`+"\r\n")},
		{"two Accept-Encoding lines", get("/b/bnv.svg", "Accept-Encoding: gzip\r\n", "Accept-Encoding: br\r\n")},
		{"two If-None-Match lines", get("/b/bnv.svg", "If-None-Match: \"a\"\r\n", "If-None-Match: *\r\n")},
		{"two Referer lines", get("/b/bnv.svg", ref, "Referer: https://other.gov.vn/\r\n")},
		{"origin", get("/b/bnv.svg", "Origin: https://snv.hanoi.gov.vn\r\n")},
		{"checker", get("/b/bnv.svg", "User-Agent: Mozilla/5.0 oabadge-checker/1\r\n", ref)},
		{"forwarded-for", get("/b/bnv.svg", "X-Forwarded-For: 203.0.113.9\r\n")},
		{"case of names", get("/b/bnv.svg", "accept-encoding: gzip\r\nREFERER: https://a.gov.vn/\r\n")},
		{"tabs and spaces", get("/b/bnv.svg", "Accept-Encoding:\t gzip \t\r\n")},
		{"empty value", get("/b/bnv.svg", "Accept-Encoding:\r\n")},
		{"HEAD", "HEAD /b/bnv.svg HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"POST", "POST /b/bnv.svg HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"},
		{"OPTIONS", "OPTIONS /b/bnv.svg HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"HTTP/1.0", "GET /b/bnv.svg HTTP/1.0\r\n\r\n"},
		{"Connection: close", get("/b/bnv.svg", "Connection: close\r\n")},
		{"Connection: keep-alive", get("/b/bnv.svg", "Connection: keep-alive\r\n")},
		{"no Host", "GET /b/bnv.svg HTTP/1.1\r\n\r\n"},
		{"two Hosts", "GET /b/bnv.svg HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
		{"bad Host", "GET /b/bnv.svg HTTP/1.1\r\nHost: a/b\r\n\r\n"},
		{"absolute form", "GET http://h/b/bnv.svg HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"bare LF", "GET /b/bnv.svg HTTP/1.1\nHost: h\n\n"},
		{"obs-fold", get("/b/bnv.svg", "Referer: a\r\n b\r\n")},
		{"NUL", get("/b/bnv.svg", "Referer: a\x00\r\n")},
		{"non-ASCII", get("/b/bnv.svg", "Referer: https://sở.gov.vn/\r\n")},
		{"GET with a body", get("/b/bnv.svg", "Content-Length: 5\r\n") + "hello"},
		{"chunked GET", get("/b/bnv.svg", "Transfer-Encoding: chunked\r\n") + "0\r\n\r\n"},
		{"smuggled", get("/b/bnv.svg", "Content-Length: 4\r\n", "Transfer-Encoding: chunked\r\n") + "0\r\n\r\n" + get("/b/bnv.png")},
		{"expect", get("/b/bnv.svg", "Expect: 100-continue\r\n")},
		{"upgrade", get("/b/bnv.svg", "Connection: Upgrade\r\nUpgrade: h2c\r\n")},
		{"long head", get("/b/bnv.svg", pad(6000))},
		{"head at net/http's limit", get("/b/bnv.svg", pad(16<<10))},
		{"head over net/http's limit", get("/b/bnv.svg", pad(24<<10))},
		{"cut short" + eofMark, "GE"},
		{"cut short after" + eofMark, get("/b/bnv.svg") + "GET /b/bnv.png HTTP/1.1\r\n"},
		{"three bytes after" + eofMark, get("/b/bnv.svg") + "GET"},
		{"cut short in the closer", "GE"},
		{"pipelined", get("/b/bnv.svg", ref) + get("/b/bnv.png") + get("/b/bnv.svg?size=192", "Accept-Encoding: gzip\r\n")},
		{"pipelined with a miss", get("/b/bnv.svg") + get("/b/nope.svg") + get("/b/bnv.png")},
		{"pipelined with a POST", get("/b/bnv.svg") + "POST /b/bnv.svg HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx" + get("/b/bnv.png")},
		{"pipelined after bad", "GET /b/bnv.svg HTTP/1.1\r\n\r\n" + get("/b/bnv.png")},
		{"pipelined long", strings.Repeat(get("/b/bnv.svg", pad(500)), 40)},
	}
}

// TestFastPathAnswersAsNetHTTP serves the same program twice, with and
// without the fast path, sends both the same bytes, and expects the same
// answers, access log lines, request metrics and counts.
func TestFastPathAnswersAsNetHTTP(t *testing.T) {
	fast, plain := serveProgram(t, true), serveProgram(t, false)
	warm(t, fast, plain)
	for _, c := range fastCorpus() {
		t.Run(c.name, func(t *testing.T) { sameAnswers(t, fast, plain, []byte(c.raw), strings.HasSuffix(c.name, eofMark)) })
	}
	// Checker-free requests from several sites on one connection, so
	// later requests overwrite the buffer the earlier ones' strings viewed.
	var many strings.Builder
	for i := range 30 {
		many.WriteString(get("/b/bnv.svg", "Referer: https://portal"+strings.Repeat("x", i)+".gov.vn/\r\n"))
	}
	sameAnswers(t, fast, plain, []byte(many.String()), false)

	fm, pm := metricLines(t, fast), metricLines(t, plain)
	if fm != pm {
		t.Errorf("request metrics differ:\nfast path:\n%s\nnet/http:\n%s", fm, pm)
	}
	fast.stop()
	plain.stop()
	if fl, pl := accessLines(t, fast.logs.String()), accessLines(t, plain.logs.String()); fl != pl {
		t.Errorf("access logs differ:\nfast path:\n%s\nnet/http:\n%s", fl, pl)
	}
	if fc, pc := counts(t, fast), counts(t, plain); fc != pc {
		t.Errorf("counts differ:\nfast path:\n%s\nnet/http:\n%s", fc, pc)
	} else if !strings.Contains(fc, "https://portalxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.gov.vn image 1") {
		t.Errorf("counts lack the last of the sites sent:\n%s", fc)
	}
}

// metricLines returns the request and cache counters of s's /metrics.
func metricLines(t *testing.T, s *served) string {
	t.Helper()
	b, _ := exchange(t, s.addr, []byte(get("/metrics")), false)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "oabadge_http_requests_total{") || strings.HasPrefix(l, "oabadge_badge_cache_") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// accessLines returns the access log lines in logs without their time
// and duration.
func accessLines(t *testing.T, logs string) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil || m["msg"] != "http" {
			continue
		}
		if _, ok := m["dur"].(float64); !ok {
			t.Errorf("access log line without a duration: %s", l)
		}
		if m["path"] == "/metrics" {
			m["bytes"] = "(varies)" // runtime figures
		}
		delete(m, "time")
		delete(m, "dur")
		b, _ := json.Marshal(m)
		lines = append(lines, string(b))
	}
	if len(lines) == 0 {
		t.Error("no access log lines")
	}
	return strings.Join(lines, "\n")
}

// counts returns the counts s wrote to its store, one per line.
func counts(t *testing.T, s *served) string {
	t.Helper()
	cs, err := s.f.st.Counts(context.Background(), "2000-01-01")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range cs {
		lines = append(lines, c.Campaign+" "+c.Site+" "+c.Event.String()+" "+strconv.FormatInt(c.N, 10))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestFastPathBehindTrustedProxies compares the client address the two
// paths log when X-Forwarded-For is believed.
func TestFastPathBehindTrustedProxies(t *testing.T) {
	trust := func(c *config.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} }
	fast, plain := serveProgram(t, true, trust), serveProgram(t, false, trust)
	warm(t, fast, plain)
	for _, xff := range []string{"203.0.113.9", "198.51.100.1, 203.0.113.9", "[2001:db8::1]", "not-an-ip", "10.0.0.1, 127.0.0.1"} {
		sameAnswers(t, fast, plain, []byte(get("/b/bnv.svg", "X-Forwarded-For: "+xff+"\r\n")), false)
	}
	sameAnswers(t, fast, plain, []byte(get("/b/bnv.svg", "X-Forwarded-For: 203.0.113.9\r\n", "X-Forwarded-For: 198.51.100.7\r\n")), false)
	fast.stop()
	plain.stop()
	fl, pl := accessLines(t, fast.logs.String()), accessLines(t, plain.logs.String())
	if fl != pl {
		t.Errorf("access logs differ:\nfast path:\n%s\nnet/http:\n%s", fl, pl)
	}
	if !strings.Contains(fl, `"ip":"203.0.113.9"`) || !strings.Contains(fl, `"ip":"2001:db8::1"`) {
		t.Errorf("the forwarded addresses are not logged:\n%s", fl)
	}
}

// FuzzFastPathAnswersAsNetHTTP sends any bytes to the program with and
// without the fast path and expects the same answers.
func FuzzFastPathAnswersAsNetHTTP(f *testing.F) {
	for _, c := range fastCorpus() {
		f.Add([]byte(c.raw))
	}
	fast, plain := serveProgram(f, true), serveProgram(f, false)
	warm(f, fast, plain)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 64<<10 {
			return
		}
		sameAnswers(t, fast, plain, raw, false)
	})
}

// BenchmarkServeFast measures the fast path's handler alone: a cached
// badge or the script, with the access log, metrics and counting of
// production.
func BenchmarkServeFast(b *testing.B) {
	for _, bc := range []struct{ name, head string }{
		{"svg-gzip", get("/b/bnv.svg?size=192", "Accept-Encoding: gzip\r\n", "Referer: https://portal.example.gov.vn/\r\n")},
		{"png", get("/b/bnv.png?size=256", "Referer: https://portal.example.gov.vn/\r\n")},
		{"svg-gzip-304", get("/b/bnv.svg?size=192", "Accept-Encoding: gzip\r\n", "Referer: https://portal.example.gov.vn/\r\n", "If-None-Match: ETAG\r\n")},
		{"embed.js-gzip", get("/embed.js", "Accept-Encoding: gzip\r\n", "Referer: https://portal.example.gov.vn/\r\n")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			log, flush := logging.New(io.Discard, "json", "info")
			defer flush()
			f := newFixtureWith(b, withLog(log), func(c *config.Config) { c.AccessLog = true })
			head := bc.head
			if strings.Contains(head, "ETAG") {
				res := exchangeHandler(b, f, "/b/bnv.svg?size=192", "gzip")
				head = strings.Replace(head, "ETAG", res.Header.Get("Etag"), 1)
			} else {
				exchangeHandler(b, f, "/b/bnv.svg?size=192", "gzip")
				exchangeHandler(b, f, "/b/bnv.png?size=256", "")
			}
			r, ok := fastpath.NewRequest([]byte(head), "203.0.113.9:4321")
			if !ok {
				b.Fatalf("the fast path does not take %q", head)
			}
			w := make([]byte, 0, 16<<10)
			if _, ok := f.srv.ServeFast(w, r); !ok {
				b.Fatal("ServeFast declined a cached badge")
			}
			b.ReportAllocs()
			for b.Loop() {
				r.Start = time.Now()
				w, _ = f.srv.ServeFast(w[:0], r)
			}
		})
	}
}

// exchangeHandler asks f's handler for target, so its badge is cached.
func exchangeHandler(b *testing.B, f *fixture, target, accept string) *http.Response {
	b.Helper()
	req, _ := http.NewRequest("GET", "http://h"+target, nil)
	if accept != "" {
		req.Header.Set("Accept-Encoding", accept)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d", target, rec.Code)
	}
	return rec.Result()
}
