package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/store/sqlite"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// env returns a getenv over kv (name, value, …), with the test process's
// audit key file unless kv names another (an empty value unsets it).
func env(kv ...string) func(string) string {
	m := map[string]string{"OABADGE_AUDIT_KEY_FILE": testKeyFile}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestRunRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "t.db")
	secret := filepath.Join(dir, "dsn")
	if err := os.WriteFile(secret, []byte(db+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  func(string) string
		code int
		msg  string
	}{
		{"bad addr", []string{"serve", "--addr", "nope"}, env(), 1, `--addr (OABADGE_ADDR) "nope": want host:port`},
		{"postgres unreachable", []string{"--db", "postgres://u@127.0.0.1:1/x"}, env(), 1, "postgres:"},
		{"unknown dsn", []string{"--db", "mysql://x"}, env(), 1, "want sqlite:PATH"},
		{"empty sqlite path", []string{"--db", "sqlite:"}, env(), 1, "want sqlite:PATH"},
		{"bad duration from env", []string{"serve"}, env("OABADGE_CACHE_MAX_AGE", "forever"), 1, `OABADGE_CACHE_MAX_AGE: "forever" is not a duration`},
		{"max-age too long", []string{"--cache-max-age", "9999h"}, env(), 1, "--cache-max-age (OABADGE_CACHE_MAX_AGE) 9999h0m0s: want between 0s and 168h"},
		{"upper-case host", []string{"--allow-hosts", "Zalo.me"}, env(), 1, "--allow-hosts"},
		{"empty allowlist", []string{"--allow-hosts", " , "}, env(), 1, "--allow-hosts (OABADGE_ALLOW_HOSTS) is empty"},
		{"bad public url", []string{"--public-url", "ftp://x"}, env(), 1, "--public-url"},
		{"bad proxy", []string{"--trusted-proxies", "10.0.0.0/33"}, env(), 2, `invalid value "10.0.0.0/33" for flag -trusted-proxies`},
		{"demo target off list", []string{"--demo-target", "https://evil.example/"}, env(), 1, "--demo-target"},
		{"bad log format", []string{"--log-format", "xml"}, env(), 1, "--log-format"},
		{"both env and file", []string{"serve"}, env("OABADGE_DB", db, "OABADGE_DB_FILE", secret), 1, "OABADGE_DB and OABADGE_DB_FILE are both set"},
		{"missing file", []string{"serve"}, env("OABADGE_DB_FILE", filepath.Join(dir, "nope")), 1, "OABADGE_DB_FILE"},
		{"stray argument", []string{"serve", "--db", db, "extra"}, env(), 2, `unexpected argument "extra"`},
		{"unknown flag", []string{"--nope"}, env(), 2, "flag provided but not defined"},
		{"unknown command", []string{"frobnicate"}, env(), 2, `unknown command "frobnicate"`},
		{"rotate needs two args", []string{"rotate", "--db", db, "bnv"}, env(), 2, "want SLUG and URL"},
		{"rotate bad version", []string{"rotate", "--if-version", "x", "bnv", "https://zalo.me/1"}, env(), 2, `invalid value "x" for flag -if-version`},
		{"rotate unknown campaign", []string{"rotate", "--db", db, "nope", "https://zalo.me/1"}, env(), 1, `no campaign "nope"`},
		{"rotate via db file", []string{"rotate", "nope", "https://zalo.me/1"}, env("OABADGE_DB_FILE", secret), 1, `no campaign "nope"`},
		{"history unknown", []string{"history", "--db", db, "nope"}, env(), 1, `no campaign "nope"`},
		{"help", []string{"help"}, env(), 0, ""},
		{"flag help", []string{"serve", "-h"}, env(), 0, ""},
		{"version", []string{"version"}, env(), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			// Nothing here may start serving; the timeout only stops a
			// broken case from hanging the suite.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			code := run(ctx, tt.args, tt.env, strings.NewReader(""), &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("run(%q) = %d, want %d; stderr:\n%s", tt.args, code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, stderr.String(), tt.msg)
			}
			if code != 0 && strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("run(%q) wrote %d lines to stderr, want one:\n%s", tt.args, strings.Count(stderr.String(), "\n"), stderr.String())
			}
		})
	}
}

// lineWriter hands stdout lines to a channel, so a test can wait for the
// server's "listening on" line.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		select {
		case w.lines <- strings.TrimSpace(line):
		default:
		}
	}
}

type proc struct {
	base string
	done chan int
	stop context.CancelFunc
	db   string
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// start runs the real server on 127.0.0.1:0 and waits for it to listen.
func start(t *testing.T, db string, extra ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{lines: make(chan string, 64)}
	a := &proc{done: make(chan int, 1), stop: cancel, db: db}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + db, "--log-format", "json"}, extra...)
	go func() { a.done <- run(ctx, args, env(), strings.NewReader(""), out, io.Discard) }()
	deadline := time.After(30 * time.Second)
	for a.base == "" {
		select {
		case line := <-out.lines:
			if m := listening.FindStringSubmatch(line); m != nil {
				a.base = m[1]
			}
		case code := <-a.done:
			t.Fatalf("the server exited with %d before listening", code)
		case <-deadline:
			t.Fatal("the server did not start listening")
		}
	}
	t.Cleanup(func() {
		cancel()
		<-a.done
	})
	return a
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r, b
}

func decodeQR(t *testing.T, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding the badge: %v", err)
	}
	return res.GetText()
}

// TestFirstRunAndRotation starts the server as a newcomer would, checks the
// demo badge scans to the demo target, rotates from the command line as
// another process would, and waits for the running server to follow.
func TestFirstRunAndRotation(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "oabadge.db")
	a := start(t, db)

	r, b := get(t, a.base+"/b/bnv.png?size=256")
	if r.StatusCode != 200 {
		t.Fatalf("demo badge: status %d: %s", r.StatusCode, b)
	}
	if got := decodeQR(t, b); got != config.DemoTargetPlaceholder {
		t.Errorf("the demo badge scans to %q, want %q", got, config.DemoTargetPlaceholder)
	}

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"rotate", "--db", "sqlite:" + db, "--if-version", "1", "bnv", "https://zalo.me/4242424242"}, env("USER", "tester"), strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("rotate = %d: %s", code, stderr.String())
	}
	if want := "bnv: version 2 now points at https://zalo.me/4242424242\n"; stdout.String() != want {
		t.Errorf("rotate printed %q, want %q", stdout.String(), want)
	}
	// A second rotate from the same stale version is refused.
	stderr.Reset()
	if code := run(context.Background(), []string{"rotate", "--db", "sqlite:" + db, "--if-version", "1", "bnv", "https://zalo.me/1"}, env(), strings.NewReader(""), io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "is at version 2, not 1") {
		t.Errorf("stale rotate = %d, %q; want 1 and a version conflict", code, stderr.String())
	}

	start := time.Now()
	for {
		_, js := get(t, a.base+"/api/v1/campaigns/bnv")
		var c struct{ Version int64 }
		if err := json.Unmarshal(js, &c); err != nil {
			t.Fatal(err)
		}
		if c.Version == 2 {
			t.Logf("the server served version 2 %v after the rotate command returned", time.Since(start))
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("the server never followed the command-line rotation")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, b := get(t, a.base+"/b/bnv.png?size=256"); decodeQR(t, b) != "https://zalo.me/4242424242" {
		t.Error("the badge does not scan to the new target")
	}
	if r, _ := get(t, a.base+"/go/bnv"); r.Header.Get("Location") != "https://zalo.me/4242424242" {
		t.Errorf("/go/bnv leads to %q", r.Header.Get("Location"))
	}

	stdout.Reset()
	if code := run(context.Background(), []string{"history", "--db", "sqlite:" + db, "bnv"}, env(), strings.NewReader(""), &stdout, io.Discard); code != 0 {
		t.Fatalf("history = %d", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "cli:tester\thttps://zalo.me/4242424242") || !strings.Contains(lines[1], "system:demo") {
		t.Errorf("history printed:\n%s", stdout.String())
	}
}

// TestRestartKeepsData restarts the server on the same file: the demo is
// not created twice and the rotation is still there.
func TestRestartKeepsData(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	a := start(t, db)
	a.stop()
	if code := <-a.done; code != 0 {
		t.Fatalf("first run exited %d", code)
	}
	a.done <- 0 // for the cleanup
	if code := run(context.Background(), []string{"rotate", "--db", "sqlite:" + db, "bnv", "https://oa.zalo.me/home?id=7"}, env(), strings.NewReader(""), io.Discard, io.Discard); code != 0 {
		t.Fatal("rotate failed")
	}
	b := start(t, db)
	_, js := get(t, b.base+"/api/v1/campaigns")
	if strings.Count(string(js), `"slug"`) != 1 || !strings.Contains(string(js), `"version":2`) {
		t.Errorf("after restart: %s", js)
	}
	st, err := sqlite.Open(context.Background(), db, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(context.Background()); err != nil {
		t.Error(err)
	}
}

// TestShutdownDrainsInFlightRequests asks for the largest badge, whose
// first render takes a good part of a second, stops the server while that
// request is being handled, and expects it answered in full before run
// returns. (net/http drops requests whose headers arrive after shutdown
// began, so the request must already be in its handler.)
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	a := start(t, filepath.Join(t.TempDir(), "d.db"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(a.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /b/bnv.png?size=1024&dpr=2 HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// Stop once the server has the request in hand (its render has begun,
	// as its cache-miss counter says), not after a guessed pause: a
	// connection still in the listener's queue is reset when it closes.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(getMetrics(t, a.base), "\noabadge_badge_cache_misses_total 1\n") {
		if time.Now().After(deadline) {
			t.Fatal("the server did not start on the request within 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	a.stop()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the in-flight response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || decodeQR(t, b) != config.DemoTargetPlaceholder {
		t.Errorf("in-flight request: status %d, %d bytes, %v; want 200 and the whole badge", resp.StatusCode, len(b), err)
	}
	if code := <-a.done; code != 0 {
		t.Errorf("run exited %d after draining, want 0", code)
	}
	a.done <- 0
}

// getMetrics returns the server's /metrics page.
func getMetrics(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAuditVerifyFindsTampering edits an audit row behind the store's back
// (dropping the trigger that forbids it, as someone with the file could)
// and expects `oabadge audit verify` to fail naming that row.
func TestAuditVerifyFindsTampering(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "t.db")
	ctx := context.Background()
	for _, args := range [][]string{
		{"admin", "add", "alice", "--role", "admin", "--db", dsn},
		{"admin", "add", "bob", "--role", "editor", "--db", dsn},
		{"admin", "token", "bob", "--role", "viewer", "--name", "ci", "--db", dsn},
	} {
		if code := run(ctx, args, env(), strings.NewReader("mật-khẩu-rất-dài-1\n"), io.Discard, io.Discard); code != 0 {
			t.Fatalf("run(%q) = %d", args, code)
		}
	}
	var out bytes.Buffer
	if code := run(ctx, []string{"audit", "verify", "--db", dsn}, env(), nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "4 entries") {
		t.Fatalf("audit verify on an untouched trail = %d %q", code, out.String())
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	// Entry 1 is the trail's seal; 3 added bob as an editor.
	if _, err := db.Exec(`UPDATE audit SET after = '{"role":"admin"}' WHERE seq = 3`); err == nil {
		t.Error("an UPDATE of the audit trail was allowed")
	}
	if _, err := db.Exec(`DROP TRIGGER audit_no_update; UPDATE audit SET after = '{"role":"admin"}' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var stderr bytes.Buffer
	if code := run(ctx, []string{"audit", "verify", "--db", dsn}, env(), nil, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "audit entry 3") {
		t.Errorf("audit verify after tampering = %d %q, want 1 naming entry 3", code, stderr.String())
	}
}

func TestAdminCommandsRefuse(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	for _, tt := range []struct {
		args  []string
		stdin string
		code  int
		msg   string
	}{
		{[]string{"admin", "add", "alice", "--db", dsn}, "pw-long-enough-1\n", 2, "--role is required"},
		{[]string{"admin", "add", "alice", "--role", "root", "--db", dsn}, "pw-long-enough-1\n", 1, `role "root"`},
		{[]string{"admin", "add", "alice", "--role", "admin", "--db", dsn}, "short\n", 1, "shorter than 12"},
		{[]string{"admin", "add", "alice", "--role", "admin", "--db", dsn}, "", 1, "no password on stdin"},
		{[]string{"admin", "add", "Alice Smith", "--role", "admin", "--db", dsn}, "pw-long-enough-1\n", 1, "lower-case"},
		{[]string{"admin", "token", "nobody", "--role", "viewer", "--db", dsn}, "", 1, `no account "nobody"`},
		{[]string{"admin", "revoke", "abc", "--db", dsn}, "", 1, `no token "abc"`},
		{[]string{"admin", "frob", "--db", dsn}, "", 2, "unknown subcommand"},
		{[]string{"audit", "--db", dsn}, "", 2, "want one of: verify"},
	} {
		t.Run(strings.Join(tt.args[:2], " ")+" "+tt.msg, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), tt.args, env(), strings.NewReader(tt.stdin), io.Discard, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.msg) || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("run(%q) = %d %q, want %d and one line with %q", tt.args, code, stderr.String(), tt.code, tt.msg)
			}
		})
	}
}

// TestAccountLifecycleCommands drives the account commands an operator
// uses when a laptop is lost or a person leaves.
func TestAccountLifecycleCommands(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "l.db")
	ctx := context.Background()
	do := func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, append(args, "--db", dsn), env(), strings.NewReader(stdin), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, e := do("pw-long-enough-1\n", "admin", "add", "alice", "--role", "admin"); code != 0 {
		t.Fatalf("admin add = %d %s", code, e)
	}
	code, tok, e := do("", "admin", "token", "alice", "--role", "admin")
	if code != 0 {
		t.Fatalf("admin token = %d %s", code, e)
	}
	for _, tt := range []struct {
		args  []string
		stdin string
		code  int
		out   string
	}{
		{[]string{"admin", "role", "alice", "--role", "editor"}, "", 0, "alice is editor"},
		{[]string{"admin", "role", "alice", "--role", "root"}, "", 1, ""},
		{[]string{"admin", "disable", "alice"}, "", 0, "disabled alice"},
		{[]string{"admin", "disable", "alice"}, "", 1, ""},
		{[]string{"admin", "enable", "alice"}, "", 0, "enabled alice"},
		{[]string{"admin", "password", "alice"}, "another-long-password\n", 0, "set the password of alice"},
		{[]string{"admin", "password", "alice"}, "short\n", 1, ""},
		{[]string{"admin", "end-sessions", "alice"}, "", 0, "1 token(s) revoked"},
		{[]string{"admin", "reset-2fa", "alice"}, "", 1, ""},
		{[]string{"admin", "disable", "nobody"}, "", 1, ""},
		{[]string{"admin", "disable"}, "", 2, ""},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, e := do(tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) {
				t.Errorf("%q = %d %q %q, want %d and %q", tt.args, code, out, e, tt.code, tt.out)
			}
		})
	}
	_ = tok
	// Every change is in the audit trail, which still verifies.
	if code, out, e := do("", "audit", "verify"); code != 0 || !strings.Contains(out, "intact") {
		t.Errorf("audit verify = %d %s %s", code, out, e)
	}
}
