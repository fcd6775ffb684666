package campaign_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	// The reference: a Go implementation of the WHATWG URL Standard, the
	// algorithm browsers apply to what a QR code or a Location header
	// holds. It passes the web-platform-tests URL suite and is used here
	// only, to check the policy against what browsers do.
	whatwg "github.com/nlnwa/whatwg-url/url"
	"golang.org/x/text/unicode/norm"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/campaign"
)

// browserURL parses s as a browser does, or fails the test.
func browserURL(t *testing.T, what, s string) *whatwg.Url {
	t.Helper()
	u, err := whatwg.Parse(s)
	if err != nil {
		t.Fatalf("%s %q: a browser cannot parse it: %v", what, s, err)
	}
	return u
}

// checkCanonical fails the test unless a browser given the canonical form
// got navigates to exactly got, with https, no user, no port, on one of
// hosts, and unless a browser given what was typed (raw) reaches the same
// resource: the same host, path segments, query parts and fragment once
// %-escapes are decoded, as the server that receives them decodes them.
func checkCanonical(t *testing.T, raw, got string, hosts []string) *whatwg.Url {
	t.Helper()
	u := browserURL(t, "canonical target", got)
	if href := u.Href(false); href != got {
		t.Fatalf("Check(%q) = %q, but a browser navigates to %q", raw, got, href)
	}
	if u.Protocol() != "https:" || u.Username() != "" || u.Password() != "" || u.Port() != "" || !slices.Contains(hosts, u.Hostname()) {
		t.Fatalf("Check(%q) = %q: a browser reads scheme %q user %q password %q host %q port %q", raw, got, u.Protocol(), u.Username(), u.Password(), u.Hostname(), u.Port())
	}
	r := browserURL(t, "accepted target", raw)
	if a, b := resource(r), resource(u); !slices.Equal(a, b) {
		t.Fatalf("Check(%q) = %q: a browser given the target reaches %q, given the canonical form %q", raw, got, a, b)
	}
	if a, b := serverPath(u), pathSegments(u); !slices.Equal(a, b) {
		t.Fatalf("Check(%q) = %q: a server that decodes the path before it splits it reads %q, not %q", raw, got, a, b)
	}
	return u
}

// pathSegments returns the path segments of u, each decoded.
func pathSegments(u *whatwg.Url) []string {
	var out []string
	for _, s := range strings.Split(u.Pathname(), "/")[1:] {
		out = append(out, "path "+decode(s))
	}
	return out
}

// serverPath returns the path segments of u as a careless server reads
// them: decoded first, "\\" taken as "/", then split and dot segments
// resolved.
func serverPath(u *whatwg.Url) []string {
	p := strings.ReplaceAll(decode(u.Pathname()), "\\", "/")
	var out []string
	for _, s := range strings.Split(p, "/")[1:] {
		switch s {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, "path "+s)
		}
	}
	return out
}

// resource lists what a server reads from u: the host, each path segment,
// each "&"-part of the query and the fragment, decoded.
func resource(u *whatwg.Url) []string {
	out := append([]string{"host " + u.Hostname()}, pathSegments(u)...)
	if q := u.Query(); q != "" {
		for _, s := range strings.Split(q, "&") {
			out = append(out, "query "+decode(s))
		}
	}
	return append(out, "fragment "+decode(u.Fragment()))
}

// decode replaces each %XX escape in s by its byte.
func decode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(hexVal(s[i+1])<<4 | hexVal(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return strings.IndexByte("0123456789abcdefABCDEF", c) >= 0 }

func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// checkOneID fails the test unless the URL a browser navigates to, decoded
// as often as any server might and read in NFKC form (fullwidth digits as
// digits), holds exactly one id-like number, that it is one of ids, and
// that it stands where its host keeps an Official Account id.
func checkOneID(t *testing.T, raw string, u *whatwg.Url, ids []string) {
	t.Helper()
	all := u.Pathname() + "?" + u.Query() + "#" + u.Fragment()
	for range 4 {
		all = decode(all)
	}
	all = norm.NFKC.String(all)
	var found []string
	for _, run := range strings.FieldsFunc(all, func(r rune) bool { return !unicode.IsDigit(r) }) {
		if len([]rune(run)) >= campaign.IDLikeDigits || slices.Contains(ids, strings.TrimLeft(run, "0")) || slices.Contains(ids, run) {
			found = append(found, run)
		}
	}
	if len(found) != 1 || !slices.Contains(ids, found[0]) {
		t.Fatalf("CheckPinned(%q, %q) accepted %q, in which a browser and a server read the id-like numbers %q", raw, ids, u.Href(false), found)
	}
	id := found[0]
	segs := strings.Split(u.Pathname(), "/")
	switch u.Hostname() {
	case "zalo.me":
		if decode(segs[1]) != id {
			t.Fatalf("CheckPinned(%q) accepted %q, whose path starts with %q, not the id %s", raw, u.Href(false), segs[1], id)
		}
	case "oa.zalo.me":
		if decode(u.SearchParams().Get("id")) != id && !slices.Contains(segs, id) {
			t.Fatalf("CheckPinned(%q) accepted %q, which names %s outside its id parameter and path", raw, u.Href(false), id)
		}
	default:
		t.Fatalf("CheckPinned(%q) accepted %q on host %q, which keeps no id", raw, u.Href(false), u.Hostname())
	}
}

// FuzzPinnedTarget checks the pin check against the reference: whatever a
// campaign pinned to two ids accepts, a browser navigates to exactly the
// canonical form, which names one of the ids, in its place, and no other.
func FuzzPinnedTarget(f *testing.F) {
	for _, c := range attackCases() {
		f.Add(c.in)
	}
	for _, s := range []string{
		"https://zalo.me/" + pinnedID,
		"https://zalo.me/42?utm_source=portal&utm_campaign=tet2025#chat",
		"HTTPS://ZALO.ME/%34%32/?src=qr",
		"https://oa.zalo.me/home?id=42&utm_content=%E1%BA%BF",
		"https://oa.zalo.me/a/42/b?utm_term=x",
		"https://zalo.me/" + pinnedID + "?utm_content=\"it's\"&&utm_medium=b",
	} {
		f.Add(s)
	}
	f.Fuzz(checkPinnedAgainstBrowser)
}

// FuzzPinnedTargetTokens is FuzzPinnedTarget on targets put together from
// the pieces attacks are made of, so that the fuzzer reaches accepted
// targets with dot segments, escapes and second ids in every place more
// often than byte mutations do.
func FuzzPinnedTargetTokens(f *testing.F) {
	f.Add([]byte{0, 1})
	f.Add([]byte{0, 1, 5, 6, 2})
	f.Add([]byte{3, 2, 16, 18, 22, 3})
	f.Add([]byte{1, 20, 1, 18, 21, 17, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		var s strings.Builder
		s.WriteString(targetPrefixes[int(b[0])%len(targetPrefixes)])
		for _, x := range b[1:] {
			s.WriteString(targetPieces[int(x)%len(targetPieces)])
		}
		checkPinnedAgainstBrowser(t, s.String())
	})
}

var (
	targetPrefixes = []string{"https://zalo.me/", "https://oa.zalo.me/", "HTTPS://ZALO.ME/", "https://oa.zalo.me/home?id=", "https://zalo.me", "https:/", "https://"}
	targetPieces   = []string{
		pinnedID, "42", attackerID, "0", "/", ".", "..", "%2e", "%2E", "%2f", "%5c", "?", "#", "&", "=",
		"id", "utm_source", "utm_content", "src", "%3F", "%23", "%25", "%31", "%34%32", ";", "@", ":",
		"\\", "\t", " ", "%20", "%EF%BC%91", "%D9%A1", "%C0%AE", "%E2%80%8B", "a", "-", "_", "~", "+",
		"'", "\"", "{", "^", "|", "[", "%00", "zalo.me", "%2e%2e", "oa.", "%26", "%3D", "%69%64", "%",
	}
)

// checkPinnedAgainstBrowser runs CheckPinned on raw for a campaign pinned
// to pinnedID and 42 and, when it accepts, checks the result against the
// reference: canonical, what a browser navigates to, one id in its place.
func checkPinnedAgainstBrowser(t *testing.T, raw string) {
	p := campaign.Policy{Hosts: campaign.DefaultHosts}
	ids := []string{pinnedID, "42"}
	got, err := p.CheckPinned(raw, ids)
	if c, cerr := p.Check(raw); cerr == nil {
		// The Service checks in two steps; they must agree with one.
		if err2 := campaign.CheckPinnedTarget(c, ids); (err2 == nil) != (err == nil && got == c) {
			t.Fatalf("CheckPinned(%q) = %q, %v but Check = %q and the pin check of that = %v", raw, got, err, c, err2)
		}
	}
	if err != nil {
		if apperr.KindOf(err) != apperr.Invalid {
			t.Fatalf("CheckPinned(%q) error %v is %v, want Invalid", raw, err, apperr.KindOf(err))
		}
		return
	}
	if again, err := p.CheckPinned(got, ids); err != nil || again != got {
		t.Fatalf("CheckPinned(%q) = %q, but CheckPinned of that = %q, %v", raw, got, again, err)
	}
	u := checkCanonical(t, raw, got, p.Hosts)
	checkOneID(t, raw, u, ids)
	if id := campaign.OAID(got); !slices.Contains(ids, id) {
		t.Fatalf("OAID(%q) = %q, want one of %q", got, id, ids)
	}
}
