package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/store/sqlite"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// TestKillDuringRotations runs the real binary, has several clients rotate
// the demo campaign as fast as they can through the admin API, and kills
// the process with SIGKILL while rotations are in flight. After that the
// database must pass SQLite's integrity check and the audit verification,
// hold every rotation that was answered 200, and have the newest audit
// entry agree with the current target.
func TestKillDuringRotations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "oabadge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "kill.db")
	dsn := "sqlite:" + db
	if code := run(context.Background(), []string{"admin", "add", "alice", "--role", "admin", "--db", dsn}, env(), strings.NewReader("un-mật-khẩu-đủ-dài\n"), io.Discard, io.Discard); code != 0 {
		t.Fatal("admin add failed")
	}
	var tok bytes.Buffer
	if code := run(context.Background(), []string{"admin", "token", "alice", "--role", "admin", "--db", dsn}, env(), strings.NewReader(""), &tok, io.Discard); code != 0 {
		t.Fatal("admin token failed")
	}
	token := strings.TrimSpace(tok.String())

	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dsn, "--audit-key-file", testKeyFile, "--access-log=false", "--log-format", "json")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := ""
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatal("the server did not start")
	}
	go io.Copy(io.Discard, stdout)

	type ack struct {
		version int64
		target  string
	}
	var (
		mu    sync.Mutex
		acked []ack
		seq   atomic.Int64
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	worker := func(w int) {
		defer wg.Done()
		for !stop.Load() {
			resp, err := client.Get(base + "/api/v1/campaigns/bnv")
			if err != nil {
				return
			}
			var c struct{ Version int64 }
			json.NewDecoder(resp.Body).Decode(&c)
			resp.Body.Close()
			target := fmt.Sprintf("https://zalo.me/%d%06d", w+1, seq.Add(1))
			req, _ := http.NewRequest("PUT", base+"/api/v1/admin/campaigns/bnv/target", strings.NewReader(`{"target":"`+target+`"}`))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("If-Match", strconv.Quote(strconv.FormatInt(c.Version, 10)))
			resp, err = client.Do(req)
			if err != nil {
				return // the server is gone
			}
			var out struct{ Version int64 }
			json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				mu.Lock()
				acked = append(acked, ack{out.Version, target})
				mu.Unlock()
			} else if resp.StatusCode != 412 {
				t.Errorf("rotation answered %d", resp.StatusCode)
				return
			}
		}
	}
	for w := range 6 {
		wg.Add(1)
		go worker(w)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL, mid-flight
		t.Fatal(err)
	}
	cmd.Wait()
	stop.Store(true)
	wg.Wait()
	t.Logf("%d rotations acknowledged before SIGKILL", len(acked))
	if len(acked) == 0 {
		t.Fatal("no rotation was acknowledged")
	}

	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	if n, err := st.VerifyAudit(ctx); err != nil {
		t.Errorf("audit verify after %d entries: %v", n, err)
	}
	hist, err := st.History(ctx, "bnv")
	if err != nil {
		t.Fatal(err)
	}
	have := map[int64]string{}
	for _, r := range hist {
		have[r.Version] = r.Target
	}
	for _, a := range acked {
		if have[a.version] != a.target {
			t.Errorf("acknowledged version %d → %s is missing after the crash (have %q)", a.version, a.target, have[a.version])
		}
	}
	c, _ := st.Campaign(ctx, "bnv")
	es, _ := st.AuditEntries(ctx, audit.Filter{Subject: "bnv", Action: "campaign.", Limit: 1})
	if len(es) != 1 || !strings.Contains(es[0].After, `"target":"`+c.Target+`"`) || c.Version != hist[0].Version {
		t.Errorf("current target %s (version %d) does not match the newest audit entry %+v", c.Target, c.Version, es)
	}
	var out bytes.Buffer
	if code := run(ctx, []string{"audit", "verify", "--db", dsn}, env(), strings.NewReader(""), &out, io.Discard); code != 0 || !strings.Contains(out.String(), "intact") {
		t.Errorf("oabadge audit verify = %d: %s", code, out.String())
	}
}
