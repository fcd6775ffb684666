package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/badge"
)

// TestSlowHeadersAreCut opens a thousand connections that send half a
// request and stop, checks that badges keep serving meanwhile, and that
// the server cuts every one of them at the header timeout.
func TestSlowHeadersAreCut(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a thousand connections")
	}
	a := start(t, filepath.Join(t.TempDir(), "s.db"), "--read-header-timeout", "1s", "--access-log=false")
	addr := strings.TrimPrefix(a.base, "http://")
	const n = 1000
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		io.WriteString(c, "GET /b/bnv.svg HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		conns = append(conns, c)
	}
	// Badges keep serving while they hang.
	for i := 0; i < 20; i++ {
		resp, err := http.Get(a.base + "/b/bnv.svg")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("a badge during the slow connections: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	var cut atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(30 * time.Second)) // only keeps a broken server from hanging the test
			if _, err := io.ReadAll(c); err == nil {
				cut.Add(1) // the server closed it (EOF, maybe after a 408)
			}
		}()
	}
	wg.Wait()
	if cut.Load() != n {
		t.Errorf("%d of %d slow connections were cut by the server", cut.Load(), n)
	}
	t.Logf("%d slow connections cut %v after the test stopped feeding them", n, time.Since(start).Round(10*time.Millisecond))
}

// TestFloodKeepsMemoryBounded sends 20,000 requests with random paths and
// query values to the real binary from 8 clients and reports its peak
// resident memory; the badge cache must stay within one entry per valid
// variant, and nothing may answer 5xx.
func TestFloodKeepsMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 20,000 requests")
	}
	bin := buildBinary(t)
	r := startReplica(t, bin, "sqlite:"+filepath.Join(t.TempDir(), "f.db"))
	var fives atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
			for i := 0; i < 2500; i++ {
				path := pick("/b/bnv.svg", "/b/bnv.png", "/b/x"+strconv.Itoa(rng.IntN(1e6))+".svg", "/go/bnv", "/e/bnv", "/nope/"+strconv.Itoa(i), "/api/v1/campaigns/bnv")
				q := pick("size", "theme", "layout", "dpr", "utm", strconv.Itoa(rng.Int())) + "=" +
					pick("128", "192", "256", "1024", "2048", "dark", "mono", "card", "qr", "2", strconv.Itoa(rng.Int()), strings.Repeat("x", rng.IntN(2000)))
				req, _ := http.NewRequest("GET", r.base+path+"?"+q, nil)
				req.Header.Set("Referer", "https://flood"+strconv.Itoa(rng.IntN(1e6))+".example/")
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 500 {
					fives.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if fives.Load() != 0 {
		t.Errorf("%d answers were 5xx", fives.Load())
	}
	resp, err := http.Get(r.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var entries float64
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "oabadge_badge_cache_entries ") {
			entries, _ = strconv.ParseFloat(strings.Fields(l)[1], 64)
		}
	}
	if entries < 1 || int(entries) > len(badge.Variants()) {
		t.Errorf("the cache holds %v entries, more than the %d valid variants", entries, len(badge.Variants()))
	}
	status, _ := os.ReadFile("/proc/" + strconv.Itoa(r.cmd.Process.Pid) + "/status")
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") || strings.HasPrefix(l, "VmRSS:") {
			t.Logf("after 20,000 random requests: %s (cache entries %v)", strings.Join(strings.Fields(l), " "), entries)
		}
	}
}

// TestSignInBurstKeepsMemoryBounded sends 200 sign-ins at once from 200
// addresses (through a trusted proxy, so the per-address limit does not
// stop them), nearly all for different account names (so the per-account
// limit does not either), to the real binary: each password check holds argon2id's
// 64 MiB, so without a bound on the checks running at once the process
// grew past 1.3 GB with 24. The peak resident memory must stay under
// 300 MB, and nothing may answer 5xx.
func TestSignInBurstKeepsMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes 200 passwords")
	}
	bin := buildBinary(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	if code := run(context.Background(), []string{"admin", "add", "alice", "--role", "admin", "--db", db, "--audit-key-file", testKeyFile}, env(),
		strings.NewReader("một-mật-khẩu-đủ-dài\n"), io.Discard, io.Discard); code != 0 {
		t.Fatal("admin add failed")
	}
	r := startReplica(t, bin, db, "--trusted-proxies", "127.0.0.1")
	const n = 200
	var fives, busy, tooMany, refused, ok atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			name, pw := "u"+strconv.Itoa(i), "wrong password, long enough"
			if i%20 == 0 {
				name, pw = "alice", "một-mật-khẩu-đủ-dài"
			}
			body := `{"name":"` + name + `","password":"` + pw + `"}`
			req, _ := http.NewRequest("POST", r.base+"/api/v1/admin/login", strings.NewReader(body))
			req.Header.Set("X-Forwarded-For", "10.9."+strconv.Itoa(i/250)+"."+strconv.Itoa(i%250))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == 503 && resp.Header.Get("Retry-After") != "":
				busy.Add(1) // shed: the checks already queued are enough
			case resp.StatusCode >= 500:
				fives.Add(1)
			case resp.StatusCode == 429:
				if tooMany.Load() == 0 {
					t.Logf("the first 429: %s", b)
				}
				tooMany.Add(1)
			case resp.StatusCode == 401:
				refused.Add(1)
			case resp.StatusCode == 200:
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if fives.Load() != 0 {
		t.Errorf("%d sign-ins answered 5xx other than a busy 503 with Retry-After", fives.Load())
	}
	if got := ok.Load() + refused.Load() + tooMany.Load() + busy.Load(); got != n {
		t.Errorf("%d of %d sign-ins got an answer", got, n)
	}
	var hwm int64
	status, _ := os.ReadFile("/proc/" + strconv.Itoa(r.cmd.Process.Pid) + "/status")
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			hwm = kb << 10
		}
	}
	t.Logf("%d sign-ins (%d ok, %d refused, %d over a limit, %d told the server is busy): peak RSS %d MiB", n, ok.Load(), refused.Load(), tooMany.Load(), busy.Load(), hwm>>20)
	if hwm == 0 {
		t.Skip("no /proc/PID/status here to read the peak from")
	}
	if hwm > 300<<20 {
		t.Errorf("peak RSS %d MiB during a burst of sign-ins, want under 300 MiB", hwm>>20)
	}
}
