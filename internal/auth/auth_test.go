package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/auth"
)

func TestPasswords(t *testing.T) {
	h, err := auth.HashPassword("đúng-mật-khẩu-dài")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash %q is not argon2id with the documented parameters", h)
	}
	if !auth.CheckPassword(h, "đúng-mật-khẩu-dài") || auth.CheckPassword(h, "sai-mật-khẩu-dài") || auth.CheckPassword("garbage", "x") {
		t.Error("CheckPassword accepts the wrong password or rejects the right one")
	}
	if h2, _ := auth.HashPassword("đúng-mật-khẩu-dài"); h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	if _, err := auth.HashPassword("short"); err == nil {
		t.Error("a short password was accepted")
	}
}

func TestTokens(t *testing.T) {
	id, secret, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	got, err := auth.ParseToken(secret)
	if err != nil || got != id || auth.HashSecret(secret) != hash {
		t.Errorf("ParseToken(%q) = %q, %v; want %q and a matching hash", secret, got, err, id)
	}
	for _, bad := range []string{"", "oab_", "oab_short_x", "xyz_" + id + "_abc", secret[:16]} {
		if _, err := auth.ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
}

func TestRoles(t *testing.T) {
	if !auth.Admin.Allows(auth.Editor) || auth.Editor.Allows(auth.Admin) || !auth.Viewer.Allows(auth.Viewer) || auth.Role("root").Allows(auth.Viewer) {
		t.Error("role order is wrong")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
	l := auth.NewLimiter(3, 10*time.Minute, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("alice"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		l.Fail("alice")
		now = now.Add(time.Minute)
	}
	ok, wait := l.Allow("alice")
	if ok || wait != 7*time.Minute {
		t.Errorf("after 3 failures: allowed %v, wait %v; want refused for 7m", ok, wait)
	}
	if ok, _ := l.Allow("bob"); !ok {
		t.Error("another key is limited too")
	}
	now = now.Add(7 * time.Minute)
	if ok, _ := l.Allow("alice"); !ok {
		t.Error("still limited after the oldest failure left the window")
	}
}
