package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/store/sqlite"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// legacyDB makes a database as the version before keyed chains left it:
// schema 5, with n audit entries chained with plain SHA-256.
func legacyDB(t *testing.T, path string, n int) []audit.Entry {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, _ := filepath.Glob("migrations/000[1-5]_*.sql")
	if len(names) != 5 {
		t.Fatalf("found migrations %v, want 0001 to 0005", names)
	}
	for _, name := range names {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var es []audit.Entry
	prev := audit.Genesis
	for i := range n {
		e := audit.New(audit.Actor{Name: "alice", Role: "admin"}, "account.add", "bob", nil, map[string]int{"i": i})
		e.At = time.Date(2025, 1, 1, 0, i, 0, 0, time.UTC)
		e.Seq, e.PrevHash, e.Chain = int64(i+1), prev, audit.ChainSHA256
		e.Hash = audit.Sum(e)
		prev = e.Hash
		if _, err := db.Exec(`INSERT INTO audit (seq, at, actor, role, action, subject, before, after, ip, user_agent, approval, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, e.At.Format(time.RFC3339Nano), e.Actor, e.Role, e.Action, e.Subject,
			e.Before, e.After, e.IP, e.UserAgent, e.Approval, e.PrevHash, e.Hash); err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	if _, err := db.Exec("UPDATE audit_head SET seq = ?, hash = ?; PRAGMA user_version = 5", n, prev); err != nil {
		t.Fatal(err)
	}
	return es
}

// TestMigrationKeepsUnkeyedEntries upgrades a database whose trail was
// chained with SHA-256: the old entries still verify, the seal entry
// covers the last of them, and editing one afterwards is found.
func TestMigrationKeepsUnkeyedEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old := legacyDB(t, path, 3)
	s := open(t, path)
	ctx := context.Background()
	v, err := s.CheckAudit(ctx, audit.Head{})
	if err != nil || v.Entries != 4 {
		t.Fatalf("CheckAudit after the upgrade = %+v, %v; want 3 old entries and the seal", v, err)
	}
	es, _ := s.AuditEntries(ctx, audit.Filter{})
	seal := es[0]
	if seal.Action != audit.SealAction || seal.Chain != audit.ChainHMAC || seal.PrevHash != old[2].Hash {
		t.Errorf("entry 4 = %+v; want the keyed seal after the last unkeyed entry", seal)
	}
	for _, e := range es[1:] {
		if e.Chain != audit.ChainSHA256 {
			t.Errorf("old entry %d has chain %d, want %d", e.Seq, e.Chain, audit.ChainSHA256)
		}
	}
	// Recorded before the edit: the head of the unkeyed part.
	recorded := audit.Head{Seq: 3, Hash: old[2].Hash}
	if _, err := s.CheckAudit(ctx, recorded); err != nil {
		t.Errorf("CheckAudit against the old head = %v", err)
	}

	// Edit an old entry and recompute the unkeyed chain: the seal's HMAC
	// covers the old last hash, so the rewrite shows at entry 4.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DROP TRIGGER audit_no_update"); err != nil {
		t.Fatal(err)
	}
	prev := audit.Genesis
	for i, e := range old {
		if i == 1 {
			e.Actor = "mallory"
		}
		e.PrevHash = prev
		e.Hash = audit.Sum(e)
		prev = e.Hash
		if _, err := db.Exec("UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?", e.Actor, e.PrevHash, e.Hash, e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	var bad *audit.BadEntryError
	if _, err := s.VerifyAudit(ctx); !errors.As(err, &bad) || bad.Seq != 4 {
		t.Errorf("VerifyAudit after rewriting the unkeyed part = %v; want entry 4 (the seal) named", err)
	}
	if _, err := s.CheckAudit(ctx, recorded); !errors.As(err, &bad) || bad.Seq != 3 || !strings.Contains(bad.Reason, "recorded earlier") {
		t.Errorf("CheckAudit against the old head = %v; want entry 3 named", err)
	}
}

// TestOpenRefusesAnotherKey: a process given the wrong key file must not
// start appending entries nobody can verify.
func TestOpenRefusesAnotherKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	open(t, path)
	other, _ := audit.NewKey()
	s, err := sqlite.Open(context.Background(), path, other)
	if err == nil {
		s.Close()
		t.Fatal("Open with another key succeeded")
	}
	for _, want := range []string{"audit entry 1", storetest.Key().ID(), other.ID(), "--audit-key-file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open with another key = %v; want %q in it", err, want)
		}
	}
	if _, err := sqlite.Open(context.Background(), path, audit.Key{}); err == nil {
		t.Error("Open without a key succeeded")
	}
}

// TestFilesArePrivate: the database and its -wal and -shm files hold
// password hashes and the trail: owner only, whatever the umask.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "p.db")
	s := open(t, path)
	if _, err := s.AuditEntries(context.Background(), audit.Filter{}); err != nil { // a read keeps -shm there
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	// Companions left wider (by an older version, another tool) are
	// narrowed when the next process opens the file.
	if err := os.Chmod(path+"-shm", 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, path)
	if fi, err := os.Stat(path + "-shm"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("-shm after another open: %v, %v; want 0600", fi.Mode(), err)
	}
}
