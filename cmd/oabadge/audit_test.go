package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/audit"
)

// TestAuditHeadAndVerify records the head, adds entries, then plays a
// database writer without the key: recomputing the chain with SHA-256,
// then cutting the newest entries with the head. verify fails on the
// first; only verify --head catches the second.
func TestAuditHeadAndVerify(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.db")
	dsn := "sqlite:" + path
	ctx := context.Background()
	runOK := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(ctx, append(args, "--db", dsn), env(), strings.NewReader("mật-khẩu-rất-dài-1\n"), &out, &errOut); code != 0 {
			t.Fatalf("oabadge %s = %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		return out.String()
	}
	runOK("admin", "add", "alice", "--role", "admin")
	recorded := strings.TrimSpace(runOK("audit", "head"))
	h, err := audit.ParseHead(recorded)
	if err != nil || h.Seq != 2 {
		t.Fatalf("audit head printed %q (%v), want entry 2's head", recorded, err)
	}
	runOK("admin", "add", "bob", "--role", "editor")
	runOK("admin", "add", "carol", "--role", "viewer")
	if out := runOK("audit", "verify", "--head", recorded); !strings.Contains(out, "4 entries") || !strings.Contains(out, "entry 2 is unchanged") {
		t.Errorf("audit verify --head = %q", out)
	}
	fail := func(want string, args ...string) {
		t.Helper()
		var errOut bytes.Buffer
		if code := run(ctx, append(args, "--db", dsn), env(), nil, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), want) {
			t.Errorf("oabadge %s = %d %q, want 1 and %q", strings.Join(args, " "), code, errOut.String(), want)
		}
	}

	latest := strings.TrimSpace(runOK("audit", "head"))

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Cut the newest two entries and move the head back: no key needed,
	// and the key alone cannot tell. The head recorded at 4 can.
	var hash2 string
	if err := db.QueryRow("SELECT hash FROM audit WHERE seq = 2").Scan(&hash2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq > 2; UPDATE audit_head SET seq = 2, hash = ?`, hash2); err != nil {
		t.Fatal(err)
	}
	runOK("audit", "verify")
	runOK("audit", "verify", "--head", recorded)
	fail("audit entry 4: missing: the trail ends at 2, before the head recorded earlier", "audit", "verify", "--head", latest)

	// Rewrite entry 2 and recompute the chain with plain SHA-256.
	if _, err := db.Exec(`DROP TRIGGER audit_no_update`); err != nil {
		t.Fatal(err)
	}
	prev := audit.Genesis
	rows, err := db.Query("SELECT seq, at, actor, role, action, subject, before, after, ip, user_agent, approval FROM audit ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	var es []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Role, &e.Action, &e.Subject, &e.Before, &e.After, &e.IP, &e.UserAgent, &e.Approval); err != nil {
			t.Fatal(err)
		}
		e.At, _ = time.Parse(time.RFC3339Nano, at)
		es = append(es, e)
	}
	rows.Close()
	for _, e := range es {
		if e.Seq == 2 {
			e.After = `{"role":"viewer"}`
		}
		e.PrevHash, e.Chain = prev, audit.ChainSHA256
		e.Hash = audit.Sum(e)
		prev = e.Hash
		if _, err := db.Exec("UPDATE audit SET after = ?, prev_hash = ?, hash = ?, chain = 1 WHERE seq = ?", e.After, e.PrevHash, e.Hash, e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("UPDATE audit_head SET hash = ?", prev); err != nil {
		t.Fatal(err)
	}
	fail("the trail holds no entry sealed with the audit key", "audit", "verify")
	fail("audit entry 2: differs from the head recorded earlier", "audit", "verify", "--head", recorded)
	fail("audit entry", "audit", "head") // no head is printed for a trail that does not verify

	var errOut bytes.Buffer
	if code := run(ctx, []string{"audit", "verify", "--head", "12", "--db", dsn}, env(), nil, io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), "want SEQ:HASH") {
		t.Errorf("audit verify --head 12 = %d %q, want a usage error", code, errOut.String())
	}
}

// TestAuditKeyFile: the key file defaults to audit.key beside the SQLite
// file, created 0600; a wrong key is refused naming the first entry it
// cannot verify; PostgreSQL needs the file named.
func TestAuditKeyFile(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "k.db")
	ctx := context.Background()
	noKey := env("OABADGE_AUDIT_KEY_FILE", "")
	if code := run(ctx, []string{"admin", "add", "alice", "--role", "admin", "--db", dsn}, noKey, strings.NewReader("mật-khẩu-rất-dài-1\n"), io.Discard, io.Discard); code != 0 {
		t.Fatal("admin add failed")
	}
	fi, err := os.Stat(filepath.Join(dir, "audit.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("audit.key beside the database: %v, %v; want mode 0600", fi, err)
	}
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"audit", "verify", "--db", dsn}, noKey, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "2 entries") {
		t.Errorf("audit verify with the default key = %d %q %q", code, out.String(), errOut.String())
	}
	// The test process's key is another one.
	errOut.Reset()
	if code := run(ctx, []string{"audit", "verify", "--db", dsn}, env(), nil, io.Discard, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "audit entry 1: the trail is sealed with audit key") || !strings.Contains(errOut.String(), "--audit-key-file") {
		t.Errorf("audit verify with another key = %d %q, want 1 naming entry 1 and the flag", code, errOut.String())
	}
	// The database moved without its key: a new key is not left behind.
	moved := filepath.Join(t.TempDir(), "k.db")
	if err := os.Rename(filepath.Join(dir, "k.db"), moved); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run(ctx, []string{"audit", "verify", "--db", "sqlite:" + moved}, noKey, nil, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "sealed with audit key") {
		t.Errorf("audit verify of a database moved without its key = %d %q", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(moved), "audit.key")); err == nil {
		t.Error("a key made for a trail sealed with another was left behind")
	}
	if err := os.Rename(moved, filepath.Join(dir, "k.db")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "audit.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run(ctx, []string{"audit", "verify", "--db", dsn}, noKey, nil, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "chmod 600") {
		t.Errorf("audit verify with a world-readable key file = %d %q, want 1 saying chmod 600", code, errOut.String())
	}
	errOut.Reset()
	if code := run(ctx, []string{"audit", "verify", "--db", "postgres://u@127.0.0.1:1/x"}, noKey, nil, io.Discard, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "--audit-key-file (OABADGE_AUDIT_KEY_FILE) is required with PostgreSQL") {
		t.Errorf("audit verify on PostgreSQL without a key file = %d %q", code, errOut.String())
	}
}
