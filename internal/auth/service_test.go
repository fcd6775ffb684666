package auth_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/store/sqlite"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

const pw = "một-mật-khẩu-đủ-dài"

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var op = auth.Operator("test", "test")

func newAuth(t *testing.T, cfg auth.Config) (*auth.Service, *clock) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)}
	cfg.Now = clk.Now
	svc := auth.NewService(st, cfg)
	for name, role := range map[string]string{"alice": "admin", "bob": "admin", "ed": "editor"} {
		if _, err := svc.CreateAccount(context.Background(), name, role, pw, op); err != nil {
			t.Fatal(err)
		}
	}
	return svc, clk
}

func session(t *testing.T, svc *auth.Service, name, code string) auth.Caller {
	t.Helper()
	secret, _, err := svc.SignIn(context.Background(), name, pw, code, "192.0.2.1")
	if err != nil {
		t.Fatalf("%s signing in: %v", name, err)
	}
	p, err := svc.Session(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	return auth.Caller{Principal: p, IP: "192.0.2.1"}
}

// enroll sets up alice's second factor and returns its secret and the
// recovery codes.
func enroll(t *testing.T, svc *auth.Service, clk *clock, who auth.Caller) (string, []string) {
	t.Helper()
	ctx := context.Background()
	secret, url, err := svc.BeginTOTP(ctx, who)
	if err != nil || url == "" {
		t.Fatalf("BeginTOTP: %v", err)
	}
	code, _ := totp.GenerateCode(secret, clk.Now())
	codes, err := svc.ConfirmTOTP(ctx, code, who)
	if err != nil || len(codes) != 10 {
		t.Fatalf("ConfirmTOTP = %d codes, %v", len(codes), err)
	}
	return secret, codes
}

func TestSecondFactor(t *testing.T) {
	ctx := context.Background()
	svc, clk := newAuth(t, auth.Config{})
	alice := session(t, svc, "alice", "")
	if _, err := svc.ConfirmTOTP(ctx, "123456", alice); apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("confirming without an enrollment = %v, want Conflict", err)
	}
	secret, codes := enroll(t, svc, clk, alice)
	clk.Add(time.Minute)

	t.Run("sign-in needs the code", func(t *testing.T) {
		if _, _, err := svc.SignIn(ctx, "alice", pw, "", "192.0.2.1"); apperr.KindOf(err) != apperr.Unauthorized {
			t.Errorf("no code = %v, want Unauthorized", err)
		}
		if _, _, err := svc.SignIn(ctx, "alice", pw, "000000", "192.0.2.1"); apperr.KindOf(err) != apperr.Unauthorized {
			t.Errorf("a wrong code = %v, want Unauthorized", err)
		}
		code, _ := totp.GenerateCode(secret, clk.Now())
		if _, _, err := svc.SignIn(ctx, "alice", pw, code, "192.0.2.1"); err != nil {
			t.Errorf("the right code = %v", err)
		}
		if _, _, err := svc.SignIn(ctx, "alice", pw, code, "192.0.2.1"); apperr.KindOf(err) != apperr.Unauthorized {
			t.Errorf("the same code twice = %v, want Unauthorized (no replay)", err)
		}
	})
	t.Run("a recovery code works once", func(t *testing.T) {
		clk.Add(time.Minute)
		if _, _, err := svc.SignIn(ctx, "alice", pw, codes[0], "192.0.2.1"); err != nil {
			t.Errorf("a recovery code = %v", err)
		}
		if _, _, err := svc.SignIn(ctx, "alice", pw, codes[0], "192.0.2.1"); apperr.KindOf(err) != apperr.Unauthorized {
			t.Errorf("a spent recovery code = %v, want Unauthorized", err)
		}
		if me, _ := svc.Me(ctx, alice); len(me.Recovery) != 9 || me.TOTPSecret != "" {
			t.Errorf("Me = %d recovery codes left, secret %q; want 9 and none shown", len(me.Recovery), me.TOTPSecret)
		}
	})
	t.Run("approving needs a fresh code", func(t *testing.T) {
		clk.Add(time.Minute)
		code, _ := totp.GenerateCode(secret, clk.Now())
		who := session(t, svc, "alice", code)
		if !who.TOTP || who.Fresh {
			t.Fatalf("a session with a second factor = %+v", who.Principal)
		}
		if err := who.RequireFresh(); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("RequireFresh without a code = %v, want Forbidden", err)
		}
		clk.Add(time.Minute)
		code, _ = totp.GenerateCode(secret, clk.Now())
		fresh, err := svc.StepUp(ctx, code, who)
		if err != nil || !fresh.Fresh || fresh.RequireFresh() != nil {
			t.Errorf("StepUp with a current code = %+v, %v", fresh.Principal, err)
		}
		if _, err := svc.StepUp(ctx, "111111", who); apperr.KindOf(err) != apperr.Unauthorized {
			t.Errorf("StepUp with a wrong code = %v, want Unauthorized", err)
		}
	})
	t.Run("an admin resets a lost factor", func(t *testing.T) {
		bob := session(t, svc, "bob", "")
		ed := session(t, svc, "ed", "")
		if err := svc.ResetTOTP(ctx, "alice", "", ed); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("an editor resetting = %v, want Forbidden", err)
		}
		if err := svc.ResetTOTP(ctx, "alice", "", bob); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.SignIn(ctx, "alice", pw, "", "192.0.2.1"); err != nil {
			t.Errorf("after a reset, sign-in without a code = %v", err)
		}
	})
}

func TestRequireSecondFactor(t *testing.T) {
	ctx := context.Background()
	svc, clk := newAuth(t, auth.Config{RequireTOTP: true})
	alice := session(t, svc, "alice", "")
	if !alice.MustEnroll {
		t.Fatal("an admin without a second factor under --require-2fa is not asked to enroll")
	}
	if err := alice.Require(auth.Viewer); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("an admin who must enroll may act: %v", err)
	}
	if ed := session(t, svc, "ed", ""); ed.MustEnroll {
		t.Error("an editor is asked to enroll; only admins are")
	}
	enroll(t, svc, clk, alice)
	clk.Add(time.Minute)
	if _, _, err := svc.SignIn(ctx, "alice", pw, "", "192.0.2.1"); apperr.KindOf(err) != apperr.Unauthorized {
		t.Errorf("after enrolling, a sign-in without a code = %v", err)
	}
}

func TestTwoPersonAccounts(t *testing.T) {
	ctx := context.Background()
	svc, _ := newAuth(t, auth.Config{TwoPerson: true})
	alice, bob := session(t, svc, "alice", ""), session(t, svc, "bob", "")
	sock, err := svc.CreateAccount(ctx, "sock", "admin", pw, alice)
	if err != nil || !sock.Disabled || sock.Role != auth.Viewer || sock.PendingRole != auth.Admin {
		t.Fatalf("a new admin under two-person = %+v, %v", sock, err)
	}
	if _, _, err := svc.SignIn(ctx, "sock", pw, "", "192.0.2.7"); apperr.KindOf(err) != apperr.Unauthorized {
		t.Errorf("the waiting account signs in: %v", err)
	}
	if _, err := svc.ApprovePending(ctx, "sock", alice); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("its creator approving = %v, want Forbidden", err)
	}
	if _, err := svc.SetDisabled(ctx, "sock", false, alice); apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("enabling it around the approval = %v, want Conflict", err)
	}
	if a, err := svc.ApprovePending(ctx, "sock", bob); err != nil || a.Disabled || a.Role != auth.Admin {
		t.Errorf("another admin's approval = %+v, %v", a, err)
	}
	// A raise waits too; lowering does not.
	if a, err := svc.SetRole(ctx, "ed", "admin", alice); err != nil || a.Role != auth.Editor || a.PendingRole != auth.Admin {
		t.Errorf("a raise under two-person = %+v, %v", a, err)
	}
	if a, err := svc.SetRole(ctx, "sock", "viewer", alice); err != nil || a.Role != auth.Viewer {
		t.Errorf("lowering = %+v, %v", a, err)
	}
	// Tokens only for oneself.
	if _, _, err := svc.CreateToken(ctx, "x", "admin", "bob", alice); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("a token for another admin = %v, want Forbidden", err)
	}
}

func TestPasswordsAndSessions(t *testing.T) {
	ctx := context.Background()
	svc, _ := newAuth(t, auth.Config{})
	alice := session(t, svc, "alice", "")
	secret, _, err := svc.SignIn(ctx, "ed", pw, "", "192.0.2.3")
	if err != nil {
		t.Fatal(err)
	}
	ed := session(t, svc, "ed", "")
	if _, err := svc.SetPassword(ctx, "ed", "a-new-long-password", "wrong", "", ed); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("changing one's password with a wrong current one = %v, want Invalid", err)
	}
	if _, err := svc.SetPassword(ctx, "alice", "a-new-long-password", "", "", ed); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("an editor resetting an admin's password = %v, want Forbidden", err)
	}
	if _, err := svc.SetPassword(ctx, "ed", "a-new-long-password", "", "", alice); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, secret); apperr.KindOf(err) != apperr.Unauthorized {
		t.Errorf("a session after an admin reset the password = %v, want Unauthorized", err)
	}
	if _, _, err := svc.SignIn(ctx, "ed", "a-new-long-password", "", "192.0.2.3"); err != nil {
		t.Errorf("the new password = %v", err)
	}
	if _, err := svc.SetDisabled(ctx, "alice", true, alice); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("disabling oneself = %v, want Forbidden", err)
	}
}

// BenchmarkSignIn measures a failed sign-in (argon2id, 64 MiB, 3 passes)
// through the service, as many at once as the processors.
func BenchmarkSignIn(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), storetest.Key())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := auth.NewService(st, auth.Config{})
	if _, err := svc.CreateAccount(context.Background(), "alice", "admin", pw, op); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		// A new address and name each time, so the limits do not answer first.
		if _, _, err := svc.SignIn(context.Background(), "u"+time.Duration(i).String(), "wrong-password-long", "", "10.0.0."+time.Duration(i).String()); apperr.KindOf(err) != apperr.Unauthorized {
			b.Fatal(err)
		}
	}
}
