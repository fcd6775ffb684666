package campaign

import (
	"fmt"
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
	// Browsers read a name whose last label is a number (decimal, or hex
	// after 0x) as an IPv4 address: "127.1" is 127.0.0.1.
	last := h[strings.LastIndexByte(h, '.')+1:]
	if isDigits(last) || strings.HasPrefix(last, "0x") && strings.Trim(last[2:], "0123456789abcdef") == "" {
		return fmt.Errorf("host %q ends in a number, which browsers read as an IP address: name the host by its name", h)
	}
	return nil
}

// Check validates raw as a target and returns it in canonical form, which is
// what must be stored, compared with pinned ids, encoded and redirected to:
// a browser given the canonical form navigates to exactly that URL, and
// one given raw navigates to the same resource. A target that a browser or
// a server would resolve into something else than what was typed (dot
// segments, escaped slashes, characters browsers drop) is refused. Errors
// are apperr.Invalid with a message that says what to fix.
func (p Policy) Check(raw string) (string, error) {
	t, err := p.parse(raw)
	if err != nil {
		return "", err
	}
	return t.String(), nil
}

// CheckPinned is Check for a campaign that pins the Official Account ids
// in ids (none: Check alone). The target must then name exactly one id,
// once, in the place its host keeps it (https://zalo.me/ID;
// https://oa.zalo.me/…?id=ID or an all-digit path segment), that id must be
// one of ids, nothing else in it may look like an id (IDLikeDigits), and
// its query may carry only PinnedQueryParams. It returns the canonical form.
func (p Policy) CheckPinned(raw string, ids []string) (string, error) {
	t, err := p.parse(raw)
	if err != nil {
		return "", err
	}
	if err := t.checkPins(ids); err != nil {
		return "", err
	}
	return t.String(), nil
}

func (p Policy) parse(raw string) (*parsed, error) {
	t, err := parseTarget(raw)
	if err != nil {
		return nil, err
	}
	if !p.allows(t.host) {
		return nil, apperr.Invalidf("target host %q is not allowed; allowed hosts: %s", t.host, strings.Join(p.Hosts, ", "))
	}
	return t, nil
}

func (p Policy) allows(host string) bool {
	for _, h := range p.Hosts {
		if h == host {
			return true
		}
	}
	return false
}

// OAID returns the Official Account id a target names: the first path
// segment of a zalo.me link (https://zalo.me/1234567890), or the id query
// parameter or an all-digit path segment of an oa.zalo.me link. It returns
// "" when the target is not a valid target (see Check), names no id, or
// names ids in more than one place.
func OAID(target string) string {
	t, err := parseTarget(target)
	if err != nil {
		return ""
	}
	if places := t.idPlaces(); len(places) == 1 {
		return places[0].id
	}
	return ""
}

// checkPinned refuses target unless it names exactly one of ids, once and
// nothing else id-like (when there are any ids); see Policy.CheckPinned.
// target is normally Check's result; it is read in canonical form either way.
func checkPinned(target string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	t, err := parseTarget(target)
	if err != nil {
		return err
	}
	return t.checkPins(ids)
}
