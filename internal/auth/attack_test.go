package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/auth"
)

// TestOneAdminHoldsNoSecondAccount: under the two-person rule one admin
// must not come to hold a second account that can propose or approve, or
// they could approve their own change. Found by an attack run on the
// binary: alice reset bob's password, signed in as bob and approved her
// own rotation; and she made an editor at once, proposed as it and
// approved its proposal.
func TestOneAdminHoldsNoSecondAccount(t *testing.T) {
	ctx := context.Background()
	svc, _ := newAuth(t, auth.Config{TwoPerson: true})
	alice, bob := session(t, svc, "alice", ""), session(t, svc, "bob", "")
	const known = "alice-knows-this-password"

	// Resetting another admin's password holds that account's role.
	if _, err := svc.SetPassword(ctx, "bob", known, "", "", alice); err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.SignIn(ctx, "bob", known, "", "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Session(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if p.Role.Allows(auth.Editor) {
		t.Errorf("after alice reset bob's password, bob's account acts as %s; want a viewer until a second admin approves", p.Role)
	}
	if _, err := svc.ApprovePending(ctx, "bob", alice); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("alice giving bob's role back herself = %v, want Forbidden", err)
	}
	// The same for an editor, whose proposals alice would approve.
	if _, err := svc.SetPassword(ctx, "ed", known, "", "", alice); err != nil {
		t.Fatal(err)
	}
	ed, _ := svc.Me(ctx, auth.Caller{Principal: auth.Principal{Account: "ed"}})
	if ed.Role != auth.Viewer || ed.PendingRole != auth.Editor {
		t.Errorf("after alice reset ed's password, ed = %s (pending %q); want a viewer, editor pending", ed.Role, ed.PendingRole)
	}
	// A second admin gives it back.
	carol, err := svc.CreateAccount(ctx, "carol", "admin", pw, op)
	if err != nil || carol.Role != auth.Admin {
		t.Fatal(carol, err)
	}
	if a, err := svc.ApprovePending(ctx, "ed", session(t, svc, "carol", "")); err != nil || a.Role != auth.Editor {
		t.Errorf("a second admin's approval = %+v, %v", a, err)
	}
	// A new editor waits like a new admin.
	puppet, err := svc.CreateAccount(ctx, "puppet", "editor", pw, alice)
	if err != nil {
		t.Fatal(err)
	}
	if !puppet.Disabled || puppet.Role != auth.Viewer || puppet.PendingRole != auth.Editor {
		t.Errorf("a new editor made by one admin = %+v; want disabled, a viewer waiting to become editor", puppet)
	}
	if _, err := svc.ApprovePending(ctx, "puppet", alice); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("its maker approving it = %v, want Forbidden", err)
	}
	// A reset while a change waits would let the resetter approve it.
	if _, err := svc.SetPassword(ctx, "puppet", known, "", "", bob); apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("resetting the password of an account that waits = %v, want Conflict", err)
	}
	// One's own password, a viewer's, and the operator's resets hold nothing.
	if _, err := svc.SetPassword(ctx, "alice", known, pw, "", alice); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPassword(ctx, "carol", known, "", "", op); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "carol"} {
		if a, _ := svc.Me(ctx, auth.Caller{Principal: auth.Principal{Account: name}}); a.Role != auth.Admin || a.PendingRole != "" {
			t.Errorf("%s after their own or the operator's reset = %s (pending %q), want admin", name, a.Role, a.PendingRole)
		}
	}
}

// TestSecondFactorNotGuessable: approving from the console needs a fresh
// code, so a stolen session must not be able to try codes until one fits.
// Found by an attack run on the binary: 291,394 guesses in 232 s through
// the approve route found a valid code.
func TestSecondFactorNotGuessable(t *testing.T) {
	ctx := context.Background()
	svc, clk := newAuth(t, auth.Config{})
	secret, _ := enroll(t, svc, clk, session(t, svc, "alice", ""))
	clk.Add(time.Minute)
	code, _ := totp.GenerateCode(secret, clk.Now())
	alice := session(t, svc, "alice", code)
	clk.Add(time.Minute)
	wrong := 0
	for i := 0; i < 50; i++ {
		_, err := svc.StepUp(ctx, "000000", alice)
		if apperr.KindOf(err) == apperr.TooMany {
			break
		}
		wrong++
	}
	if wrong > auth.LoginPerAccount {
		t.Fatalf("%d wrong codes accepted for checking in a row; want at most %d", wrong, auth.LoginPerAccount)
	}
	good, _ := totp.GenerateCode(secret, clk.Now())
	if c, err := svc.StepUp(ctx, good, alice); apperr.KindOf(err) != apperr.TooMany || c.Fresh {
		t.Errorf("the right code after the limit = %v (fresh %v), want TooMany", err, c.Fresh)
	}
	if err := svc.ResetTOTP(ctx, "alice", good, alice); apperr.KindOf(err) != apperr.TooMany {
		t.Errorf("removing the factor with a code after the limit = %v, want TooMany", err)
	}
	clk.Add(auth.LoginWindow)
	good, _ = totp.GenerateCode(secret, clk.Now())
	if c, err := svc.StepUp(ctx, good, alice); err != nil || !c.Fresh {
		t.Errorf("the right code after the window = %v (fresh %v)", err, c.Fresh)
	}
}

// TestATokenIsNotASecondFactor: a stolen API token of an admin who has a
// second factor must not stand in for them where the factor is asked
// for: it approves nothing, its changes are not applied at once (see the
// campaign service), and it cannot make or raise an account that could.
func TestATokenIsNotASecondFactor(t *testing.T) {
	ctx := context.Background()
	svc, clk := newAuth(t, auth.Config{})
	alice := session(t, svc, "alice", "")
	enroll(t, svc, clk, alice)
	_, secret, err := svc.CreateToken(ctx, "ci", "admin", "", alice)
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Token(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	tok := auth.Caller{Principal: p, IP: "192.0.2.66"}
	if !tok.TokenWithoutFactor() {
		t.Fatalf("alice's token %+v is not known to stand for an account with a second factor", p)
	}
	if err := tok.RequireFresh(); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("RequireFresh for the token = %v, want Forbidden", err)
	}
	for name, do := range map[string]func() error{
		"create an admin": func() error {
			_, err := svc.CreateAccount(ctx, "mallory", "admin", "a long enough password", tok)
			return err
		},
		"raise a role": func() error { _, err := svc.SetRole(ctx, "bob", "admin", tok); return err },
		"reset a password": func() error {
			_, err := svc.SetPassword(ctx, "bob", "a new long enough password", "", "", tok)
			return err
		},
		"remove another's factor": func() error { return svc.ResetTOTP(ctx, "bob", "", tok) },
		"approve an account":      func() error { _, err := svc.ApprovePending(ctx, "bob", tok); return err },
	} {
		if err := do(); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("the token tried to %s: %v, want Forbidden", name, err)
		}
	}
	if _, err := svc.SetDisabled(ctx, "bob", true, tok); err != nil {
		t.Errorf("disabling an account with the token (incident response) = %v", err)
	}
	if _, err := svc.SetDisabled(ctx, "bob", false, tok); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("enabling it again with the token = %v, want Forbidden", err)
	}

	// A token of an account without a second factor is unchanged.
	ed := session(t, svc, "ed", "")
	_, secret, _ = svc.CreateToken(ctx, "ci", "editor", "", ed)
	if p, _ := svc.Token(ctx, secret); p.TOTP || (auth.Caller{Principal: p}).RequireFresh() != nil {
		t.Errorf("ed's token, of an account without a second factor, is held to one: %+v", p)
	}
}
