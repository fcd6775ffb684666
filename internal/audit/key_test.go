package audit_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/oabadge/oabadge/internal/audit"
)

func TestLoadOrCreateKey(t *testing.T) {
	old := syscall.Umask(0) // the widest umask: the mode must not depend on it
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "sub", "audit.key")
	k, created, err := audit.LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreateKey = %v, %v, %v; want a new key", k, created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	again, created, err := audit.LoadOrCreateKey(path)
	if err != nil || created || again.ID() != k.ID() {
		t.Errorf("LoadOrCreateKey again = %v, %v, %v; want the same key, not created", again, created, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".audit-key-*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestLoadOrCreateKeyRace starts many processes' worth of creators at once:
// they must all end with one key.
func TestLoadOrCreateKeyRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.key")
	ids := make([]string, 16)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			k, _, err := audit.LoadOrCreateKey(path)
			if err != nil {
				t.Error(err)
			}
			ids[i] = k.ID()
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent creators got different keys: %v", ids)
		}
	}
}

func TestLoadKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	good := strings.Repeat("0123456789abcdef", 4) + "\n"
	tests := []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"group-readable", good, 0o640, "chmod 600"},
		{"world-readable", good, 0o644, "has mode 0644"},
		{"too short", "abcd\n", 0o600, "want 64 hex digits"},
		{"not hex", strings.Repeat("zz", 32), 0o600, "want 64 hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tt.mode); err != nil {
				t.Fatal(err)
			}
			if _, err := audit.LoadKey(p); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadKey = %v, want an error with %q", err, tt.want)
			}
			if _, _, err := audit.LoadOrCreateKey(p); err == nil {
				t.Error("LoadOrCreateKey accepted it (or replaced it)")
			}
		})
	}
	if _, err := audit.LoadKey(filepath.Join(dir, "missing")); err == nil {
		t.Error("LoadKey of a missing file succeeded")
	}
}

func TestWriteKeyFile(t *testing.T) {
	k, _ := audit.NewKey()
	p := filepath.Join(t.TempDir(), "k")
	if err := audit.WriteKeyFile(p, k); err != nil {
		t.Fatal(err)
	}
	got, err := audit.LoadKey(p)
	if err != nil || got.ID() != k.ID() {
		t.Errorf("LoadKey of a written key = %v, %v; want %v", got, err, k)
	}
	if err := audit.WriteKeyFile(p, k); err == nil {
		t.Error("WriteKeyFile replaced an existing file")
	}
}
