package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
)

// TestSecondFactorInBrowser enrolls an authenticator from the console as a
// person would (the QR code shows, the key is read off the page, the code
// it gives is typed in), keeps the recovery codes, signs in again with a
// code, and approves a change, which needs a fresh code.
func TestSecondFactorInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	e := newBrowserEnv(t, true)
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		if _, err := e.app.Auth.CreateAccount(ctx, name, "admin", consolePassword, auth.Operator("test", "v-test")); err != nil {
			t.Fatal(err)
		}
	}
	alice := e.tab(t)
	signInBrowser(t, alice, e.badge, "alice")
	if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin/account")); err != nil {
		t.Fatal(err)
	}
	clickAndWait(t, alice, `#totp-begin`)
	if _, err := chromedp.Run(alice, chromedp.Poll[bool](`document.getElementById("totp-qr").complete && document.getElementById("totp-qr").naturalWidth > 0`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the enrollment QR code did not load: %v", err)
	}
	e.screenshot(t, alice, "console-2fa-enroll")
	secret := strings.ReplaceAll(evalJS[string](t, alice, `document.getElementById("totp-secret").textContent`), " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("the key on the page (%q) is not a TOTP secret: %v", secret, err)
	}
	if err := chromedp.Do(alice, chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code)); err != nil {
		t.Fatal(err)
	}
	clickAndWait(t, alice, `#totp-confirm`)
	if n := evalJS[int](t, alice, `document.querySelectorAll("#recovery-codes li").length`); n != 10 {
		t.Fatalf("the page shows %d recovery codes, want 10", n)
	}

	// Bob proposes; alice must give a fresh code to approve.
	bob := auth.Caller{Principal: auth.Principal{Account: "bob", Role: auth.Admin, Via: "session"}}
	_, prop, err := e.svc.RequestRotation(ctx, campaign.Request{Slug: "bnv", Target: "https://zalo.me/4343434343", Expect: 1}, bob)
	if err != nil || prop == nil {
		t.Fatalf("bob proposing: %v", err)
	}
	if err := chromedp.Do(alice, chromedp.Navigate(e.badge+"/admin/approvals")); err != nil {
		t.Fatal(err)
	}
	clickAndWait(t, alice, `button.approve`)
	if c, _ := e.svc.Served(ctx, "bnv"); c.Version != 1 {
		t.Fatal("an approval without a fresh code applied")
	}
	if msg := evalJS[string](t, alice, `document.querySelector(".flash.error") ? document.querySelector(".flash.error").textContent : ""`); !strings.Contains(msg, "6-digit") {
		t.Errorf("approving without a code says %q", msg)
	}
	// The next time step's code: the one used to enroll cannot be reused.
	code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err := chromedp.Do(alice, chromedp.SendKeys(chromedp.CSS(`form[action$="/approve"] input[name="code"]`), code)); err != nil {
		t.Fatal(err)
	}
	clickAndWait(t, alice, `button.approve`)
	if c, _ := e.svc.Served(ctx, "bnv"); c.Version != 2 || c.Target != "https://zalo.me/4343434343" {
		t.Fatalf("after approving with a code: %+v", c)
	}
	e.screenshot(t, alice, "console-2fa-approved")
}
