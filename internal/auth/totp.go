package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/oabadge/oabadge/internal/apperr"
)

// The second factor is TOTP (RFC 6238) as every authenticator app speaks
// it: six digits, 30-second steps, SHA-1. github.com/pquerna/otp makes
// the secrets and otpauth:// URLs and checks codes; the step bookkeeping
// (one use per code, a step either side for clock drift) is ours.
const (
	totpPeriod    = 30
	totpSkew      = 1
	recoveryCodes = 10
	issuer        = "oabadge"
)

// NewTOTP returns a new secret for account and the otpauth:// URL an
// authenticator app reads from a QR code.
func NewTOTP(account string) (secret, url string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", err
	}
	return k.Secret(), k.URL(), nil
}

// TOTPURL returns the otpauth:// URL of secret for account.
func TOTPURL(account, secret string) string {
	k, err := otp.NewKeyFromURL("otpauth://totp/" + issuer + ":" + account + "?secret=" + secret + "&issuer=" + issuer)
	if err != nil {
		return ""
	}
	return k.URL()
}

// checkTOTP returns the time step code is valid for, within one step of
// now, and after last (a code is never accepted twice), or false.
func checkTOTP(secret, code string, now time.Time, last int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || secret == "" {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		s := step + d
		if s <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && SameHash(want, code) {
			return s, true
		}
	}
	return 0, false
}

// newRecoveryCodes returns recovery codes to show once, and their hashes
// to store.
func newRecoveryCodes() (codes, hashes []string, err error) {
	for range recoveryCodes {
		b, err := RandomString(10)
		if err != nil {
			return nil, nil, err
		}
		c := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(b))
		if len(c) > 10 {
			c = c[:10]
		}
		c = c[:5] + "-" + c[5:]
		codes = append(codes, c)
		hashes = append(hashes, recoveryHash(c))
	}
	return codes, hashes, nil
}

func recoveryHash(code string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))))
	return hex.EncodeToString(sum[:])
}

// useSecondFactor checks code (an authenticator code, or a recovery code)
// against a, and records its use on a: the step, or the spent recovery
// code. It reports whether the code was good.
func useSecondFactor(a *Account, code string, now time.Time) bool {
	if step, ok := checkTOTP(a.TOTPSecret, code, now, a.TOTPStep); ok {
		a.TOTPStep = step
		return true
	}
	h := recoveryHash(code)
	for i, r := range a.Recovery {
		if SameHash(r, h) {
			a.Recovery = append(a.Recovery[:i:i], a.Recovery[i+1:]...)
			return true
		}
	}
	return false
}

// errCode is the answer to a missing or wrong second factor.
var errCode = apperr.Unauthorizedf("enter the 6-digit code from your authenticator app (or a recovery code)")

// RequireFresh returns a Forbidden error when the caller signed in to the
// console with a second factor but did not prove it again for this
// request: approving or applying a change needs a current code. An API
// token of an account with a second factor cannot prove it at all, so it
// can never approve or apply: a stolen token is not a second person.
func (c Caller) RequireFresh() error {
	switch {
	case c.Via == "session" && c.TOTP && !c.Fresh:
		return apperr.Forbiddenf("enter the 6-digit code from your authenticator app to approve or apply this change")
	case c.TokenWithoutFactor():
		return apperr.Forbiddenf("this account has a second factor, which an API token cannot prove: approve or apply this change in the console, with your code")
	}
	return nil
}

// TokenWithoutFactor reports whether the caller is an API token of an
// account that has a second factor: its changes wait for approval, and it
// approves none.
func (c Caller) TokenWithoutFactor() bool {
	return strings.HasPrefix(c.Via, "token:") && c.TOTP
}
