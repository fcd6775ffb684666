package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/oabadge/oabadge/internal/store/sqlite"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// TestDiskFull puts the database on a small tmpfs, fills it, and expects
// badges to keep serving, a rotation to fail with 503 and a clear message
// and leave nothing half-written, and writes to work again once there is
// room. It needs to mount a tmpfs (root, as in CI); otherwise it skips.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a file system")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s): skipping the disk-full test", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	db := filepath.Join(dir, "full.db")
	dsn := "sqlite:" + db
	ctx := context.Background()
	if code := run(ctx, []string{"admin", "add", "alice", "--role", "admin", "--db", dsn}, env(), strings.NewReader("mật-khẩu-đủ-dài-1\n"), io.Discard, io.Discard); code != 0 {
		t.Fatal("admin add failed")
	}
	var tok bytes.Buffer
	run(ctx, []string{"admin", "token", "alice", "--role", "admin", "--db", dsn}, env(), nil, &tok, io.Discard)
	token := strings.TrimSpace(tok.String())
	a := start(t, db)

	// Fill the file system.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()

	before := versionOn(a.base)
	for i := 0; i < 3; i++ {
		if r, _ := get(t, a.base+"/b/bnv.png?size=256"); r.StatusCode != 200 {
			t.Fatalf("a badge with the disk full: %d", r.StatusCode)
		}
	}
	code, body := rotateVia(a.base, token, before, "https://zalo.me/123456")
	if code != 503 || !strings.Contains(body, "database") {
		t.Errorf("a rotation with the disk full = %d %s, want 503 with a message", code, body)
	}
	if v := versionOn(a.base); v != before {
		t.Errorf("the refused rotation changed the served version to %d", v)
	}

	// Room again: the same rotation works, and nothing was half-written.
	os.Remove(filler)
	if code, body := rotateVia(a.base, token, before, "https://zalo.me/123456"); code != 200 {
		t.Fatalf("the rotation after freeing space = %d %s", code, body)
	}
	a.stop()
	<-a.done
	a.done <- 0
	st, err := sqlite.Open(ctx, db, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	if _, err := st.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
	hist, _ := st.History(ctx, "bnv")
	if len(hist) != 2 || hist[0].Target != "https://zalo.me/123456" {
		t.Errorf("history after the outage: %+v", hist)
	}
}
