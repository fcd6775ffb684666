package campaign

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/oabadge/oabadge/internal/apperr"
)

// DefaultHosts are the hosts a target may point at when none are configured:
// Zalo's own short links and Official Account pages.
var DefaultHosts = []string{"zalo.me", "oa.zalo.me"}

// MaxTargetLength bounds a target before it is parsed; the QR size limit
// (badge.MaxContentBytes) is stricter still and checked by the Service.
const MaxTargetLength = 512

// Policy decides which targets a campaign may point at. A rotation is the
// one action that re-points every portal's badge at once, so the policy is
// deliberately narrow: https only, exact hosts, nothing that could make a
// URL look like one host while leading to another.
type Policy struct {
	// Hosts are the allowed host names, lower-case ASCII, compared exactly:
	// "zalo.me" does not allow "evil.zalo.me" or "zalo.me.evil.example".
	Hosts []string
}

// CheckHost reports whether h is usable as an allowlist entry.
func CheckHost(h string) error {
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") {
		return fmt.Errorf("host %q is not a host name", h)
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("host %q is not a host name", h)
		}
		if strings.HasPrefix(label, "xn--") {
			return fmt.Errorf("host %q is an internationalised (punycode) name, which is refused to rule out look-alikes", h)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("host %q: use lower-case ASCII letters, digits, hyphens and dots", h)
			}
		}
	}
	return nil
}

// Check validates raw as a target and returns it in canonical form, which is
// what must be stored and encoded. Errors are apperr.Invalid with a message
// that says what to fix.
func (p Policy) Check(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", apperr.Invalidf("target is empty")
	}
	if len(raw) > MaxTargetLength {
		return "", apperr.Invalidf("target is %d bytes long, the limit is %d", len(raw), MaxTargetLength)
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || r == '\\' || r > 0x7e {
			return "", apperr.Invalidf("target contains %q: write it as plain ASCII with non-ASCII characters percent-encoded and no spaces or backslashes", r)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", apperr.Invalidf("target is not a URL")
	}
	switch {
	case u.Scheme != "https":
		return "", apperr.Invalidf("target must start with https://")
	case u.Opaque != "" || u.Host == "":
		return "", apperr.Invalidf("target must be an absolute https:// URL with a host")
	case u.User != nil:
		return "", apperr.Invalidf("target must not contain a user name or password (anything before @)")
	case strings.Contains(u.Host, ":"):
		return "", apperr.Invalidf("target must not name a port") // also an empty one: "zalo.me:"
	}
	// Host names are case-insensitive; store and compare them lower-cased.
	u.Host = strings.ToLower(u.Host)
	host := u.Hostname()
	if err := CheckHost(host); err != nil {
		return "", apperr.Invalidf("target %s", err)
	}
	if !p.allows(host) {
		return "", apperr.Invalidf("target host %q is not allowed; allowed hosts: %s", host, strings.Join(p.Hosts, ", "))
	}
	return u.String(), nil
}

func (p Policy) allows(host string) bool {
	for _, h := range p.Hosts {
		if h == host {
			return true
		}
	}
	return false
}

// OAID returns the Official Account id a Zalo target names: the first path
// segment of a zalo.me link (https://zalo.me/1234567890), or the id query
// parameter, or else the first all-digit path segment, of an oa.zalo.me
// link. It returns "" when the target names none.
func OAID(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch u.Hostname() {
	case "zalo.me":
		if oaIDRE.MatchString(segs[0]) {
			return segs[0]
		}
	case "oa.zalo.me":
		if id := u.Query().Get("id"); oaIDRE.MatchString(id) {
			return id
		}
		for _, s := range segs {
			if oaIDRE.MatchString(s) {
				return s
			}
		}
	}
	return ""
}

// checkPinned refuses target unless it names one of ids (when there are any).
func checkPinned(target string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	id := OAID(target)
	for _, x := range ids {
		if id != "" && id == x {
			return nil
		}
	}
	if id == "" {
		return apperr.Invalidf("target names no Official Account id; this campaign is pinned to %s", strings.Join(ids, ", "))
	}
	return apperr.Invalidf("target's Official Account id %s is not pinned for this campaign (pinned: %s)", id, strings.Join(ids, ", "))
}
