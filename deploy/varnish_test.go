package deploy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The Varnish tests run Debian's varnishd with deploy/varnish/oabadge.vcl:
// compiled as is, then in front of a stand-in origin that follows the
// caching contract exactly, then in front of the real oabadge.

const vclFile = "varnish/oabadge.vcl"

// varnishd finds varnishd, or skips the test unless OABADGE_REQUIRE_VARNISH=1.
func varnishd(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("varnishd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/varnishd"); err == nil {
		return "/usr/sbin/varnishd"
	}
	if os.Getenv("OABADGE_REQUIRE_VARNISH") == "1" {
		t.Fatal("varnishd is required (OABADGE_REQUIRE_VARNISH=1) but not found")
	}
	t.Skip("no varnishd: install Debian's varnish to check the VCL")
	return ""
}

// vclFor is the VCL with both compose backends pointed at addr, since
// varnishd resolves backend hosts when it compiles.
func vclFor(t *testing.T, addr string) string {
	t.Helper()
	b, err := os.ReadFile(vclFile)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	vcl := string(b)
	for _, old := range []string{`.host = "oabadge-1";`, `.host = "oabadge-2";`, `.port = "8080";`} {
		if !strings.Contains(vcl, old) {
			t.Fatalf("%s no longer has %s: update vclFor", vclFile, old)
		}
	}
	vcl = strings.NewReplacer(`.host = "oabadge-1";`, `.host = "`+host+`";`, `.host = "oabadge-2";`, `.host = "`+host+`";`,
		`.port = "8080";`, `.port = "`+port+`";`).Replace(vcl)
	p := filepath.Join(t.TempDir(), "oabadge.vcl")
	if err := os.WriteFile(p, []byte(vcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// freeAddr returns a 127.0.0.1 address nobody listens on and no other
// call in this process has returned. OABADGE_TEST_PORTS ("19000-19099")
// keeps the choice within a range on a shared machine; otherwise the
// kernel picks.
func freeAddr(t *testing.T) string {
	t.Helper()
	var ports []int
	if r := os.Getenv("OABADGE_TEST_PORTS"); r != "" {
		a, b, _ := strings.Cut(r, "-")
		lo, err1 := strconv.Atoi(a)
		hi, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || lo > hi {
			t.Fatalf("OABADGE_TEST_PORTS=%q, want LOW-HIGH such as 19000-19099", r)
		}
		for p := lo; p <= hi; p++ {
			ports = append(ports, p)
		}
	} else {
		ports = []int{0, 0, 0, 0, 0}
	}
	for _, p := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		ln.Close()
		if _, dup := handedOut.LoadOrStore(addr, true); !dup {
			return addr
		}
	}
	t.Fatal("no free port on 127.0.0.1 (OABADGE_TEST_PORTS=" + os.Getenv("OABADGE_TEST_PORTS") + ")")
	return ""
}

// handedOut holds the addresses freeAddr returned, so two calls never
// return the same port before either is listening.
var handedOut sync.Map

// startVarnish runs varnishd in the foreground with vcl on addr until the
// test ends, and waits until it answers.
func startVarnish(t *testing.T, vcl, addr string) string {
	t.Helper()
	bin := varnishd(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "-F", "-j", "none", "-n", filepath.Join(dir, "n"), "-a", addr, "-f", vcl,
		"-s", "malloc,32m", "-T", "none", "-p", "default_grace=0s")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case <-done:
			t.Fatalf("varnishd exited:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("varnishd did not answer /readyz through the origin (last: %v):\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fetch sends one request and returns the response with its body read.
func fetch(t *testing.T, c *http.Client, method, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// purge sends what the origin sends on a change.
func purge(t *testing.T, c *http.Client, base, method, key string) int {
	t.Helper()
	res, _ := fetch(t, c, method, base+"/", "Surrogate-Key", key)
	return res.StatusCode
}

func TestVarnishCompiles(t *testing.T) {
	bin := varnishd(t)
	out, err := exec.Command(bin, "-C", "-j", "none", "-n", filepath.Join(t.TempDir(), "n"), "-f", vclFor(t, "127.0.0.1:8080")).CombinedOutput()
	if err != nil {
		t.Fatalf("varnishd -C -f %s: %v\n%s", vclFile, err, out)
	}
}

// standIn is an origin that follows the contract: the cache headers on
// every public path (a /b/SLUG path names campaign SLUG), the request
// counted per path and coding, a cookie on /cookie, an old Date.
type standIn struct {
	mu   sync.Mutex
	seen map[string]int
}

func (o *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.seen[r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Accept-Encoding")]++
	o.mu.Unlock()
	h := w.Header()
	h.Set("Date", "Mon, 01 Jan 2024 00:00:00 GMT")
	switch {
	case r.URL.Path == "/readyz":
		h.Set("Cache-Control", "no-store")
	case r.URL.Path == "/cookie":
		h.Set("Set-Cookie", "s=1")
	case strings.HasPrefix(r.URL.Path, "/b/"), strings.HasPrefix(r.URL.Path, "/admin"), r.URL.Path == "/metrics":
		slug := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/b/"), ".svg")
		h.Set("Cache-Control", "public, max-age=60, s-maxage=86400, stale-while-revalidate=60, stale-if-error=86400")
		h.Set("Surrogate-Key", "oabadge campaign-"+slug)
		h.Set("Cache-Tag", "oabadge,campaign-"+slug)
		h.Set("Vary", "Accept-Encoding")
	}
	body := r.URL.RequestURI() + " " + r.Header.Get("Accept-Encoding") + "\n"
	switch r.Header.Get("Accept-Encoding") {
	case "gzip": // Varnish checks gzip as it stores it
		h.Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, body)
		zw.Close()
	case "br": // a body that only says which coding it stands for
		h.Set("Content-Encoding", "br")
		io.WriteString(w, body)
	default:
		io.WriteString(w, body)
	}
}

func (o *standIn) count(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen[key]
}

// TestVarnishContract drives the VCL against an origin that follows the
// contract to the letter, so it holds before and after oabadge does.
func TestVarnishContract(t *testing.T) {
	varnishd(t)
	o := &standIn{seen: map[string]int{}}
	ln, err := net.Listen("tcp", freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(o)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	base := startVarnish(t, vclFor(t, ln.Addr().String()), freeAddr(t))
	// Without our own transport, Go would ask for gzip and decode it.
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	get := func(path string, header ...string) *http.Response {
		res, _ := fetch(t, c, http.MethodGet, base+path, header...)
		return res
	}
	t.Run("hit", func(t *testing.T) {
		first, second := get("/b/a.svg?size=128"), get("/b/a.svg?size=128")
		if first.Header.Get("X-Cache") != "miss" || second.Header.Get("X-Cache") != "hit" || len(strings.Fields(second.Header.Get("X-Varnish"))) != 2 {
			t.Errorf("GET twice: X-Cache %q then %q, X-Varnish %q; want miss, then hit with two ids",
				first.Header.Get("X-Cache"), second.Header.Get("X-Cache"), second.Header.Get("X-Varnish"))
		}
		if n := o.count("GET /b/a.svg?size=128 "); n != 1 {
			t.Errorf("the origin saw %d requests, want 1", n)
		}
		if h := second.Header; h.Get("Surrogate-Key") != "" || h.Get("Cache-Tag") != "" {
			t.Errorf("Surrogate-Key %q and Cache-Tag %q reach clients", h.Get("Surrogate-Key"), h.Get("Cache-Tag"))
		}
		if age := second.Header.Get("Age"); age != "0" {
			t.Errorf("Age %q, want 0: browsers count max-age from the response they get", age)
		}
		if d, err := http.ParseTime(second.Header.Get("Date")); err != nil || time.Since(d) > time.Minute {
			t.Errorf("Date %q, want now, not the origin's old Date", second.Header.Get("Date"))
		}
	})
	t.Run("one copy per portal", func(t *testing.T) {
		// Every portal that shows the badge reaches the origin once per
		// s-maxage, so the report still lists it; its visitors after the
		// first are answered here.
		for _, ref := range []string{"https://portal-a.gov.vn/", "https://portal-a.gov.vn/tin-tuc?id=1", "https://PORTAL-A.gov.vn/", "https://portal-b.gov.vn/", ""} {
			get("/b/r.svg", "Referer", ref)
		}
		if n := o.count("GET /b/r.svg "); n != 3 {
			t.Errorf("three referring origins (a, b, none) reached the origin %d times, want 3", n)
		}
	})
	t.Run("cache busters", func(t *testing.T) {
		get("/b/q.svg?v=1&theme=dark&size=128&utm_source=x")
		res := get("/b/q.svg?size=128&_=99&theme=dark")
		if res.Header.Get("X-Cache") != "hit" || o.count("GET /b/q.svg?size=128&theme=dark ") != 1 {
			t.Errorf("cache busters: X-Cache %q, origin saw %v; want one fetch of /b/q.svg?size=128&theme=dark", res.Header.Get("X-Cache"), o.seen)
		}
	})
	t.Run("codings", func(t *testing.T) {
		for _, ae := range []string{"gzip, deflate, br, zstd", "gzip, deflate", ""} {
			get("/b/z.svg", "Accept-Encoding", ae)
		}
		br := get("/b/z.svg", "Accept-Encoding", "br, gzip")
		gz := get("/b/z.svg", "Accept-Encoding", "gzip")
		id := get("/b/z.svg")
		if br.Header.Get("Content-Encoding") != "br" || gz.Header.Get("Content-Encoding") != "gzip" || id.Header.Get("Content-Encoding") != "" {
			t.Errorf("codings: br %q, gzip %q, none %q", br.Header.Get("Content-Encoding"), gz.Header.Get("Content-Encoding"), id.Header.Get("Content-Encoding"))
		}
		for _, ae := range []string{"br", "gzip", ""} {
			if n := o.count("GET /b/z.svg " + ae); n != 1 {
				t.Errorf("the origin was asked %d times for coding %q, want 1", n, ae)
			}
		}
	})
	t.Run("purge", func(t *testing.T) {
		get("/b/p.svg")
		get("/b/pq.svg")
		if s := purge(t, c, base, "PURGE", "campaign-p"); s != http.StatusOK {
			t.Fatalf("PURGE campaign-p: %d, want 200", s)
		}
		if get("/b/p.svg").Header.Get("X-Cache") != "miss" || get("/b/pq.svg").Header.Get("X-Cache") != "hit" {
			t.Error("PURGE campaign-p: want /b/p.svg fetched again and /b/pq.svg (campaign-pq) kept")
		}
		if s := purge(t, c, base, "BAN", "oabadge"); s != http.StatusOK {
			t.Fatalf("BAN oabadge: %d, want 200", s)
		}
		if get("/b/p.svg").Header.Get("X-Cache") != "miss" || get("/b/pq.svg").Header.Get("X-Cache") != "miss" {
			t.Error("BAN oabadge: want everything fetched again")
		}
	})
	t.Run("hostile keys", func(t *testing.T) {
		get("/b/h.svg")
		for _, k := range []string{".*", "a|b", "campaign-h|oabadge", "campaign-(h)", "", "Campaign-H", "campaign-h oabadge", strings.Repeat("a", 82)} {
			if s := purge(t, c, base, "PURGE", k); s != http.StatusBadRequest {
				t.Errorf("PURGE with Surrogate-Key %q: %d, want 400", k, s)
			}
		}
		if get("/b/h.svg").Header.Get("X-Cache") != "hit" {
			t.Error("a refused purge removed an object")
		}
	})
	t.Run("outsiders may not purge", func(t *testing.T) {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		if _, err := d.Dial("tcp", strings.TrimPrefix(base, "http://")); err != nil {
			t.Skipf("cannot connect from 127.0.0.2: %v", err)
		}
		out := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
		for _, m := range []string{"PURGE", "BAN"} {
			if s := purge(t, out, base, m, "oabadge"); s != http.StatusForbidden {
				t.Errorf("%s from 127.0.0.2 (not in the ACL): %d, want 403", m, s)
			}
		}
		if s := purge(t, out, base, "FOO", "oabadge"); s != http.StatusMethodNotAllowed {
			t.Errorf("FOO: %d, want 405", s)
		}
	})
	t.Run("not stored", func(t *testing.T) {
		for _, p := range []string{"/cookie", "/admin", "/admin/c/a", "/metrics"} {
			get(p)
			get(p)
			if n := o.count("GET " + p + " "); n != 2 {
				t.Errorf("GET %s twice: the origin saw %d, want 2", p, n)
			}
		}
		fetch(t, c, http.MethodPost, base+"/b/a.svg?size=128")
		if n := o.count("POST /b/a.svg?size=128 "); n != 1 {
			t.Errorf("POST: the origin saw %d, want 1", n)
		}
	})
}

// oabadge builds the binary once per test process.
var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

func oabadgeBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "oabadge-deploy-test")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "oabadge")
		if out, err := exec.Command("go", "build", "-o", builtBin, "../cmd/oabadge").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// purgesSettled waits until the origin has no purge left to send, from
// its /metrics.
func (o *origin) purgesSettled(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(o.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if bytes.Contains(b, []byte("\noabadge_purge_pending 0\n")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the origin still has purges to send after 60 s:\n%s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// origin is one oabadge process on a fresh SQLite database.
type origin struct {
	bin, db, base string
}

func startOabadge(t *testing.T, addr string, extra ...string) *origin {
	t.Helper()
	o := &origin{bin: oabadgeBinary(t), db: "sqlite:" + filepath.Join(t.TempDir(), "oabadge.db"), base: "http://" + addr}
	args := append([]string{"serve", "--addr", addr, "--db", o.db, "--log-format", "json"}, extra...)
	cmd := exec.Command(o.bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("oabadge log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := http.Get(o.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return o
			}
		}
		select {
		case <-done:
			t.Fatalf("oabadge exited:\n%s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("oabadge did not become ready:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// badgeRequests is the origin's count of requests to the badge route.
func (o *origin) badgeRequests(t *testing.T) int {
	t.Helper()
	_, body := fetch(t, nil, http.MethodGet, o.base+"/metrics")
	n := 0
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "oabadge_http_requests_total{") && strings.Contains(line, `route="/b/:file"`) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += int(v)
		}
	}
	return n
}

// run runs an oabadge command against the origin's database.
func (o *origin) run(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(o.bin, append(args, "--db", o.db)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oabadge %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// TestVarnishInFrontOfOabadge puts Varnish with the VCL in front of the
// real server: a badge is fetched once from the origin, purges are taken
// from localhost only with a well-formed key, and (once the server has
// --purge) a rotation through the API shows through Varnish within a second.
func TestVarnishInFrontOfOabadge(t *testing.T) {
	varnishd(t)
	if testing.Short() {
		t.Skip("builds and starts the server")
	}
	bin := oabadgeBinary(t)
	help, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	hasPurge := bytes.Contains(help, []byte("-purge"))

	originAddr, cacheAddr := freeAddr(t), freeAddr(t)
	var extra []string
	if hasPurge {
		extra = []string{"--purge", "PURGE http://" + cacheAddr + "/"}
	}
	o := startOabadge(t, originAddr, extra...)
	base := startVarnish(t, vclFor(t, originAddr), cacheAddr)
	if hasPurge {
		// The origin purges what it changed at start (the demo campaign),
		// retrying until Varnish answers: let that finish before counting
		// hits, or a late purge would empty the cache mid-test.
		o.purgesSettled(t)
	}
	c := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	const badge = "/b/bnv.svg?size=192"

	t.Run("second fetch is a hit", func(t *testing.T) {
		before := o.badgeRequests(t)
		first, body1 := fetch(t, c, http.MethodGet, base+badge, "Accept-Encoding", "gzip")
		second, body2 := fetch(t, c, http.MethodGet, base+badge, "Accept-Encoding", "gzip")
		if first.StatusCode != http.StatusOK || body1 != body2 {
			t.Fatalf("GET %s through Varnish: %d, bodies equal %v", badge, first.StatusCode, body1 == body2)
		}
		if ids := strings.Fields(second.Header.Get("X-Varnish")); len(ids) != 2 || second.Header.Get("X-Cache") != "hit" {
			t.Errorf("second GET: X-Varnish %q, X-Cache %q; want a hit (two ids)", second.Header.Get("X-Varnish"), second.Header.Get("X-Cache"))
		}
		if n := o.badgeRequests(t) - before; n != 1 {
			t.Errorf("the origin served %d badge requests for two fetches, want 1", n)
		}
		res, _ := fetch(t, c, http.MethodGet, base+badge, "Accept-Encoding", "gzip", "If-None-Match", second.Header.Get("ETag"))
		if res.StatusCode != http.StatusNotModified || o.badgeRequests(t)-before != 1 {
			t.Errorf("If-None-Match through Varnish: %d, want 304 from the cache", res.StatusCode)
		}
	})

	t.Run("hostile keys refused", func(t *testing.T) {
		for _, k := range []string{".*", "a|b", "campaign-bnv|oabadge"} {
			if s := purge(t, c, base, "PURGE", k); s != http.StatusBadRequest {
				t.Errorf("PURGE with Surrogate-Key %q: %d, want 400", k, s)
			}
		}
		if res, _ := fetch(t, c, http.MethodGet, base+badge, "Accept-Encoding", "gzip"); res.Header.Get("X-Cache") != "hit" {
			t.Error("a refused purge removed the badge")
		}
	})

	t.Run("purge by key", func(t *testing.T) {
		direct, _ := fetch(t, c, http.MethodGet, o.base+badge, "Accept-Encoding", "gzip")
		if direct.Header.Get("Surrogate-Key") == "" {
			t.Skip("the origin sends no Surrogate-Key yet: nothing for a purge by key to match")
		}
		before := o.badgeRequests(t)
		if s := purge(t, c, base, "PURGE", "campaign-bnv"); s != http.StatusOK {
			t.Fatalf("PURGE campaign-bnv: %d, want 200", s)
		}
		res, _ := fetch(t, c, http.MethodGet, base+badge, "Accept-Encoding", "gzip")
		if res.Header.Get("X-Cache") != "miss" || o.badgeRequests(t)-before != 1 {
			t.Errorf("after PURGE campaign-bnv: X-Cache %q, origin requests +%d; want a miss", res.Header.Get("X-Cache"), o.badgeRequests(t)-before)
		}
		if res.Header.Get("Age") != "0" || res.Header.Get("Surrogate-Key") != "" {
			t.Errorf("Age %q, Surrogate-Key %q: want 0 and none", res.Header.Get("Age"), res.Header.Get("Surrogate-Key"))
		}
	})

	t.Run("rotation through the API within 1s", func(t *testing.T) {
		if !hasPurge {
			t.Skip("oabadge serve has no --purge yet: the origin does not tell Varnish about changes")
		}
		// Warm the cache with the badge and the redirect.
		_, oldBadge := fetch(t, c, http.MethodGet, base+badge, "Accept-Encoding", "gzip")
		fetch(t, c, http.MethodGet, base+"/go/bnv")

		o.run(t, "a long password for this test only\n", "admin", "add", "alice", "--role", "admin")
		token := o.run(t, "", "admin", "token", "alice", "--role", "admin", "--name", "varnish-test")
		_, js := fetch(t, c, http.MethodGet, o.base+"/api/v1/campaigns/bnv")
		var camp struct {
			Version int `json:"version"`
		}
		if err := json.Unmarshal([]byte(js), &camp); err != nil {
			t.Fatalf("GET /api/v1/campaigns/bnv: %v in %q", err, js)
		}
		const target = "https://zalo.me/1111111111111111111"
		req, _ := http.NewRequest(http.MethodPut, o.base+"/api/v1/admin/campaigns/bnv/target", strings.NewReader(`{"target":"`+target+`"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("If-Match", `"`+strconv.Itoa(camp.Version)+`"`)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		applied := time.Now()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("PUT target: %d %s, want 200 (an admin's change applies at once)", res.StatusCode, b)
		}
		// The origin says when Varnish acknowledged the purge; from then on
		// the very next fetch must be the new badge. How long that took is
		// reported, and only an absurd delay fails, so a loaded machine
		// cannot turn this red.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var at time.Time
		for at = purged(t, c, o.base, token); at.IsZero(); at = purged(t, c, o.base, token) {
			select {
			case <-ctx.Done():
				t.Fatal("10 s after the rotation the origin has not purged Varnish")
			case <-time.After(5 * time.Millisecond):
			}
		}
		took := at.Sub(applied)
		_, nb := fetch(t, c, http.MethodGet, base+badge, "Accept-Encoding", "gzip")
		r, _ := fetch(t, c, http.MethodGet, base+"/go/bnv")
		if nb == oldBadge || r.Header.Get("Location") != target {
			t.Fatalf("after the purge Varnish still serves the old badge (%v) or redirect (%q)", nb == oldBadge, r.Header.Get("Location"))
		}
		t.Logf("Varnish acknowledged the purge %v after the API answered (%v until this test saw it)", took.Round(time.Millisecond), time.Since(applied).Round(time.Millisecond))
		if took > time.Second {
			t.Logf("slower than the 1 s aim (a loaded machine?)")
		}
	})
}

// purged returns when the origin's last purge succeeded, or zero while
// one is still to be sent, from its admin API.
func purged(t *testing.T, c *http.Client, base, token string) time.Time {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/admin/caches", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Caches []struct {
			Pending   int        `json:"pending"`
			LastOK    *time.Time `json:"last_ok"`
			LastError string     `json:"last_error"`
		} `json:"caches"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Caches) != 1 {
		t.Fatalf("GET /api/v1/admin/caches: %d %v %+v", res.StatusCode, err, out)
	}
	if e := out.Caches[0].LastError; e != "" {
		t.Fatalf("the purge failed: %s", e)
	}
	if out.Caches[0].Pending > 0 || out.Caches[0].LastOK == nil {
		return time.Time{}
	}
	return *out.Caches[0].LastOK
}
