package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oabadge/oabadge/internal/store/postgres"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// proxy forwards TCP to PostgreSQL and can cut every connection, to play
// a database that goes away and comes back.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.down {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.mu.Unlock()
			go p.pipe(c)
		}
	}()
	return p
}

func (p *proxy) pipe(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[u] = true, true
	p.mu.Unlock()
	go func() { io.Copy(u, c); u.Close() }()
	io.Copy(c, u)
	c.Close()
}

// cut closes every connection and refuses new ones.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "oabadge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// replica is one oabadge process.
type replica struct {
	cmd  *exec.Cmd
	base string
}

func startReplica(t *testing.T, bin, dsn string, extra ...string) *replica {
	t.Helper()
	demo := "--demo=false" // on PostgreSQL the test makes the campaign
	if strings.HasPrefix(dsn, "sqlite:") {
		demo = "--demo=true"
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--audit-key-file", testKeyFile, "--access-log=false", "--log-format", "json",
		"--poll-interval", "1s", "--count-flush", "300ms", demo}, extra...)...)
	stdout, _ := cmd.StdoutPipe()
	if os.Getenv("OABADGE_DEBUG_REPLICAS") != "" {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stdout)
			return &replica{cmd: cmd, base: m[1]}
		}
	}
	t.Fatal("a replica did not start")
	return nil
}

func getJSON(base, path string) (int, map[string]any) {
	resp, err := http.Get(base + path)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func versionOn(base string) int64 {
	_, js := getJSON(base, "/api/v1/campaigns/bnv")
	v, _ := js["version"].(float64)
	return int64(v)
}

func rotateVia(base, token string, expect int64, target string) (int, string) {
	req, _ := http.NewRequest("PUT", base+"/api/v1/admin/campaigns/bnv/target", strings.NewReader(`{"target":"`+target+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("If-Match", strconv.Quote(strconv.FormatInt(expect, 10)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitVersion waits until every replica serves version v and returns how
// long the slowest took. The bound only stops a broken test.
func waitVersion(t *testing.T, rs []*replica, v int64, since time.Time) time.Duration {
	t.Helper()
	var worst time.Duration
	for _, r := range rs {
		for versionOn(r.base) != v {
			if time.Since(since) > 30*time.Second {
				t.Fatalf("replica %s never served version %d", r.base, v)
			}
			time.Sleep(5 * time.Millisecond)
		}
		worst = max(worst, time.Since(since))
	}
	return worst
}

// TestReplicas runs three replica processes on one PostgreSQL: rotations
// on one reach the others; a killed listening connection costs at most
// the poll interval; with the database gone badges keep serving and writes
// answer 503; when it returns, writes work and no count is lost.
func TestReplicas(t *testing.T) {
	dsn := pgDSN(t)
	emptyPG(t, dsn)
	bin := buildBinary(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))))
	viaProxy := strings.Replace(dsn, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), px.ln.Addr().String(), 1)
	if viaProxy == dsn {
		t.Fatalf("cannot point %s at the proxy", dsn)
	}
	// A campaign, an admin and a token, written directly.
	for _, args := range [][]string{
		{"admin", "add", "alice", "--role", "admin", "--db", dsn},
	} {
		if code := run(ctx, args, env(), strings.NewReader("mật-khẩu-đủ-dài-1\n"), io.Discard, io.Discard); code != 0 {
			t.Fatal("admin add failed")
		}
	}
	var tok strings.Builder
	run(ctx, []string{"admin", "token", "alice", "--role", "admin", "--db", dsn}, env(), nil, &tok, io.Discard)
	token := strings.TrimSpace(tok.String())
	st, err := postgres.Open(ctx, dsn, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs := []*replica{startReplica(t, bin, viaProxy), startReplica(t, bin, viaProxy), startReplica(t, bin, viaProxy)}
	// The demo is off on replicas: create the campaign through the first.
	req, _ := http.NewRequest("POST", rs[0].base+"/api/v1/admin/campaigns", strings.NewReader(`{"slug":"bnv","title":"Zalo OA Bộ Nội vụ","caption":"Quét mã QR để theo dõi Zalo OA Bộ Nội vụ","target":"https://zalo.me/1"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("creating the campaign: %v %v", err, resp)
	}
	resp.Body.Close()
	waitVersion(t, rs, 1, time.Now())

	// Rotations on one replica reach the other two.
	var lat []time.Duration
	for i := 0; i < 15; i++ {
		v := versionOn(rs[0].base)
		start := time.Now()
		if code, body := rotateVia(rs[i%3].base, token, v, fmt.Sprintf("https://zalo.me/%d", 100+i)); code != 200 {
			t.Fatalf("rotation %d = %d %s", i, code, body)
		}
		lat = append(lat, waitVersion(t, rs, v+1, start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("rotation to convergence on 3 replicas over %d rotations: median %v, worst %v", len(lat), lat[len(lat)/2], lat[len(lat)-1])
	if lat[len(lat)/2] > time.Second {
		t.Errorf("the median convergence %v is over a second", lat[len(lat)/2])
	}

	// Kill every listening connection: the next rotation still arrives,
	// within the poll interval (1 s), through the backstop or the re-listen.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var killed int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	v := versionOn(rs[0].base)
	start := time.Now()
	if code, body := rotateVia(rs[0].base, token, v, "https://zalo.me/999"); code != 200 {
		t.Fatalf("rotation after killing listeners = %d %s", code, body)
	}
	d := waitVersion(t, rs, v+1, start)
	t.Logf("after terminating %d listening connections, convergence took %v", killed, d)

	// The database goes away.
	px.cut()
	for _, r := range rs {
		for i := 0; i < 5; i++ {
			req, _ := http.NewRequest("GET", r.base+"/b/bnv.svg", nil)
			req.Header.Set("Referer", "https://portal.example/")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("a badge with the database down: %v %v", err, resp)
			}
			resp.Body.Close()
		}
		if code, js := getJSON(r.base, "/readyz"); code != 200 || js["status"] != "degraded" {
			t.Errorf("readyz with the database down = %d %v, want 200 degraded", code, js)
		}
	}
	if code, body := rotateVia(rs[1].base, token, v+1, "https://zalo.me/555"); code != 503 || !strings.Contains(body, "database") {
		t.Errorf("a write with the database down = %d %s, want 503 with a message", code, body)
	}
	time.Sleep(700 * time.Millisecond) // a flush or two fail meanwhile; nothing is timed

	// It comes back: writes work again without a restart, and the
	// impressions counted while it was away arrive.
	px.restore()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _ := rotateVia(rs[1].base, token, v+1, "https://zalo.me/556")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes never recovered: last %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitVersion(t, rs, v+2, time.Now())
	deadline = time.Now().Add(30 * time.Second)
	for {
		counts, err := st.Counts(ctx, "2000-01-01")
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, c := range counts {
			if c.Site == "https://portal.example" {
				n += c.N
			}
		}
		if n == 15 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the 15 impressions counted during the outage arrived", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := st.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
}
