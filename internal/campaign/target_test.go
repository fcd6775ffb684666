package campaign_test

import (
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/campaign"
)

// The ids the tables pin: a real-length Official Account id, and the one an
// attacker who stole a password would like the badge to lead to.
const (
	pinnedID   = "1234567890123456789"
	attackerID = "9876543210987654321"
)

var pins = []string{pinnedID}

// TestCanonicalTargets checks that every kind of target admins use is
// accepted, in canonical form, with pins and without.
func TestCanonicalTargets(t *testing.T) {
	p := campaign.Policy{Hosts: campaign.DefaultHosts}
	const z = "https://zalo.me/" + pinnedID
	tests := []struct {
		name   string
		pinned bool
		in     string
		want   string
	}{
		{"plain", true, z, z},
		{"upper-case scheme and host", true, "HTTPS://ZALO.ME/" + pinnedID, z},
		{"surrounding spaces and line breaks", true, "  " + z + "\r\n", z},
		{"trailing slash", true, z + "/", z + "/"},
		{"escaped digits", true, "https://zalo.me/%31%32%33%34%35%36%37%38%39%30%31%32%33%34%35%36%37%38%39", z},
		{"utm parameters", true, z + "?utm_source=portal&utm_medium=badge&utm_campaign=tet2025", z + "?utm_source=portal&utm_medium=badge&utm_campaign=tet2025"},
		{"utm date with dashes", true, z + "?utm_campaign=2025-01-31", z + "?utm_campaign=2025-01-31"},
		{"utm short numbers", true, z + "?utm_content=banner_300x250&utm_term=q4", z + "?utm_content=banner_300x250&utm_term=q4"},
		{"utm Vietnamese, lower-case escapes", true, z + "?utm_campaign=t%e1%ba%bft", z + "?utm_campaign=t%E1%BA%BFt"},
		{"utm quote and apostrophe", true, z + `?utm_content="it's"`, z + "?utm_content=%22it%27s%22"},
		{"utm escaped slash in a value", true, z + "?utm_source=https%3A%2F%2Fportal.gov.vn", z + "?utm_source=https%3A%2F%2Fportal.gov.vn"},
		{"Zalo's src=qr", true, z + "?src=qr", z + "?src=qr"},
		{"empty query dropped", true, z + "?", z},
		{"empty fragment dropped", true, z + "#", z},
		{"empty query part kept", true, z + "?utm_source=a&&utm_medium=b", z + "?utm_source=a&&utm_medium=b"},
		{"fragment without numbers", true, z + "#chat", z + "#chat"},
		{"escaped id parameter name", true, "https://oa.zalo.me/home?%69d=" + pinnedID, "https://oa.zalo.me/home?id=" + pinnedID},
		{"oa id parameter", true, "https://oa.zalo.me/home?id=" + pinnedID, "https://oa.zalo.me/home?id=" + pinnedID},
		{"oa id parameter and utm", true, "https://oa.zalo.me/home?id=" + pinnedID + "&utm_source=portal", "https://oa.zalo.me/home?id=" + pinnedID + "&utm_source=portal"},
		{"oa id in the path", true, "https://oa.zalo.me/" + pinnedID, "https://oa.zalo.me/" + pinnedID},
		{"extra path without numbers", true, z + "/chat", z + "/chat"},
		{"no path", false, "https://zalo.me", "https://zalo.me/"},
		{"query without path", false, "https://zalo.me?x=1", "https://zalo.me/?x=1"},
		{"space escaped", false, "https://zalo.me/s/12%20ab", "https://zalo.me/s/12%20ab"},
		{"escaped tilde", false, "https://zalo.me/abc%7e", "https://zalo.me/abc~"},
		{"Vietnamese path", false, "https://zalo.me/a%c3%a1", "https://zalo.me/a%C3%A1"},
		{"braces in path", false, "https://zalo.me/a{b}^", "https://zalo.me/a%7Bb%7D%5E"},
		{"group link", false, "https://zalo.me/g/abcdef", "https://zalo.me/g/abcdef"},
		{"phone number", false, "https://zalo.me/0912345678", "https://zalo.me/0912345678"},
		{"any query unpinned", false, "https://zalo.me/1?id=2&oaid=3", "https://zalo.me/1?id=2&oaid=3"},
		{"at sign in path", false, "https://zalo.me/@portal", "https://zalo.me/@portal"},
		{"second hash in fragment", false, "https://zalo.me/1#a#b", "https://zalo.me/1#a%23b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			if tt.pinned {
				ids = pins
			}
			got, err := p.CheckPinned(tt.in, ids)
			if err != nil || got != tt.want {
				t.Fatalf("CheckPinned(%q, %q) = %q, %v; want %q", tt.in, ids, got, err, tt.want)
			}
			if again, err := p.CheckPinned(got, ids); err != nil || again != got {
				t.Errorf("CheckPinned(%q) = %q, %v; want it unchanged", got, again, err)
			}
			if tt.pinned {
				if id := campaign.OAID(got); id != pinnedID {
					t.Errorf("OAID(%q) = %q, want %q", got, id, pinnedID)
				}
			}
		})
	}
}

// attackCase is a target that must be refused on a campaign pinned to
// pinnedID, and a fragment of the message that tells the admin why.
type attackCase struct {
	class, name, in, msg string
}

// attackCases are the ways of writing a target that a browser, or the
// server it reaches, reads as naming another account than the one
// checked, grouped by class.
func attackCases() []attackCase {
	const z = "https://zalo.me/"
	return []attackCase{
		{"dot segments", "plain ..", z + pinnedID + "/../" + attackerID, "leads to https://zalo.me/" + attackerID},
		{"dot segments", "word then ..", z + "a/../" + attackerID, "resolve away"},
		{"dot segments", "%2e%2e", z + pinnedID + "/%2e%2e/" + attackerID, "resolve away"},
		{"dot segments", "%2E%2E", z + pinnedID + "/%2E%2E/" + attackerID, "resolve away"},
		{"dot segments", "%2E.", z + pinnedID + "/%2E./" + attackerID, "resolve away"},
		{"dot segments", ".%2e", z + pinnedID + "/.%2e/" + attackerID, "resolve away"},
		{"dot segments", "single dot", z + "./" + pinnedID, "resolve away"},
		{"dot segments", "escaped single dot", z + pinnedID + "/%2e", "resolve away"},
		{"dot segments", "trailing ..", z + attackerID + "/" + pinnedID + "/..", "leads to https://zalo.me/" + attackerID + "/"},
		{"dot segments", "three dots", z + pinnedID + "/.../" + attackerID, "dots and spaces"},
		{"dot segments", "dots and escaped space", z + pinnedID + "/..%20/" + attackerID, "dots and spaces"},
		{"dot segments", "fullwidth dots", z + pinnedID + "/%EF%BC%8E%EF%BC%8E/" + attackerID, "read as"},
		{"dot segments", "one-dot leaders", z + pinnedID + "/%E2%80%A5/" + attackerID, "read as"},
		{"dot segments", "overlong UTF-8 dots", z + pinnedID + "/%C0%AE%C0%AE/" + attackerID, "not UTF-8"},
		{"encoded delimiters", "%2F", z + pinnedID + "%2F..%2F" + attackerID, `escaped "/"`},
		{"encoded delimiters", "%2f lower case", z + pinnedID + "/..%2f" + attackerID, `escaped "/"`},
		{"encoded delimiters", "%5C", z + pinnedID + "/..%5C" + attackerID, `escaped "\"`},
		{"encoded delimiters", "%3F", z + pinnedID + "%3Fid=" + attackerID, `escaped "?"`},
		{"encoded delimiters", "%23", z + pinnedID + "%23" + attackerID, `escaped "#"`},
		{"encoded delimiters", "%3B", z + pinnedID + "%3Bid=" + attackerID, `escaped ";"`},
		{"encoded delimiters", "fullwidth solidus", z + pinnedID + "%EF%BC%8F..%EF%BC%8F" + attackerID, "read as"},
		{"double encoding", "%252e%252e", z + pinnedID + "/%252e%252e/" + attackerID, "decode twice"},
		{"double encoding", "%252F", z + pinnedID + "%252F" + attackerID, "decode twice"},
		{"double encoding", "in a query value", z + pinnedID + "?utm_content=%25" + "39876543210", "decode twice"},
		{"double encoding", "stray percent", z + pinnedID + "/%/" + attackerID, "does not start"},
		{"double encoding", "half escape", z + pinnedID + "%2", "does not start"},
		{"backslashes", "as slash", z + pinnedID + `\..\` + attackerID, "backslash"},
		{"backslashes", "after host", `https://zalo.me\` + attackerID, "backslash"},
		{"backslashes", "before @", `https://zalo.me\@evil.example/` + attackerID, "backslash"},
		{"stripped characters", "tab inside ..", z + pinnedID + "/.\t./" + attackerID, "tab or line break"},
		{"stripped characters", "newline inside ..", z + pinnedID + "/.\n./" + attackerID, "tab or line break"},
		{"stripped characters", "carriage return in scheme", "ht\rtps://zalo.me/" + attackerID, "tab or line break"},
		{"stripped characters", "NUL", z + pinnedID + "\x00/../" + attackerID, "control character"},
		{"stripped characters", "escaped NUL", z + pinnedID + "%00/../" + attackerID, "escaped control"},
		{"stripped characters", "zero-width space", z + pinnedID + "?utm_content=%E2%80%8B", "invisible"},
		{"stripped characters", "soft hyphen splitting digits", z + pinnedID + "?utm_content=98765%C2%AD43210", "invisible"},
		{"stripped characters", "space", z + pinnedID + " " + attackerID, "space"},
		{"second id in the query", "id on zalo.me", z + pinnedID + "?id=" + attackerID, `"id" is not allowed`},
		{"second id in the query", "unknown parameter", z + pinnedID + "?oaid=" + attackerID, `"oaid" is not allowed`},
		{"second id in the query", "redirect parameter", z + pinnedID + "?continue=https://evil.example", `"continue" is not allowed`},
		{"second id in the query", "number as a name", z + pinnedID + "?" + attackerID, "is not allowed"},
		{"second id in the query", "utm value", z + pinnedID + "?utm_content=" + attackerID, "besides"},
		{"second id in the query", "utm value inside text", z + pinnedID + "?utm_content=oa" + attackerID + "x", "besides"},
		{"second id in the query", "same id again", z + pinnedID + "?utm_content=" + pinnedID, "besides"},
		{"second id in the query", "date without separators", z + pinnedID + "?utm_campaign=20250131", "write a date as"},
		{"second id in the query", "Arabic-Indic digits", z + pinnedID + "?utm_content=%D9%A9%D9%A8%D9%A7%D9%A6%D9%A5", "besides"},
		{"second id in the query", "fullwidth digits escaped", z + pinnedID + "?utm_content=%EF%BC%99%EF%BC%98%EF%BC%97%EF%BC%96%EF%BC%95", "read as"},
		{"second id in the query", "%3F in the query", z + pinnedID + "?utm_content=a%3Fid%3D" + attackerID, "besides"},
		{"second id in the query", "oa id twice", "https://oa.zalo.me/home?id=" + pinnedID + "&id=" + attackerID, "twice"},
		{"second id in the query", "oa id in path and query", "https://oa.zalo.me/" + attackerID + "?id=" + pinnedID, "more than one place"},
		{"second id in the query", "oa same id in path and query", "https://oa.zalo.me/" + pinnedID + "?id=" + pinnedID, "more than one place"},
		{"second id in the query", "oa two ids in the path", "https://oa.zalo.me/" + pinnedID + "/" + attackerID, "more than one place"},
		{"second id in the fragment", "bare", z + pinnedID + "#" + attackerID, "fragment"},
		{"second id in the fragment", "router path", z + pinnedID + "#/oa/" + attackerID, "fragment"},
		{"second id in the fragment", "query-like", z + pinnedID + "#?id=" + attackerID, "fragment"},
		{"second id in the path", "second segment", z + pinnedID + "/" + attackerID, "besides"},
		{"second id in the path", "@ in path", z + pinnedID + "/@" + attackerID, "besides"},
		{"second id in the path", "@ joining ids", z + pinnedID + "@" + attackerID, "names no Official Account id"},
		{"second id in the path", "empty first segment", z + "/" + pinnedID, "empty segment"},
		{"second id in the path", "double slash", z + pinnedID + "//" + attackerID, "empty segment"},
		{"matrix parameters", "after the id", z + pinnedID + ";id=" + attackerID, `";"`},
		{"matrix parameters", "..; traversal", z + pinnedID + "/..;/" + attackerID, `";"`},
		{"matrix parameters", "on its own", z + attackerID + ";" + pinnedID, `";"`},
		{"userinfo and port", "id as user", "https://" + attackerID + "@zalo.me/" + pinnedID, "user name"},
		{"userinfo and port", "user and password", "https://" + pinnedID + ":" + attackerID + "@zalo.me/" + pinnedID, "user name"},
		{"userinfo and port", "allowed host as user", "https://zalo.me@evil.example/" + pinnedID, "user name"},
		{"userinfo and port", "port", "https://zalo.me:9876/" + pinnedID, "port"},
		{"userinfo and port", "default port", "https://zalo.me:443/" + pinnedID, "port"},
		{"userinfo and port", "empty port", "https://zalo.me:/" + pinnedID, "port"},
		{"ids", "another id", z + attackerID, "not pinned"},
		{"ids", "leading zero", z + "0" + pinnedID, "not pinned"},
		{"ids", "overlong", z + strings.Repeat("9", 40), "at most 32 digits"},
		{"ids", "wraps around 64 bits", z + "18446744073709551617", "not pinned"},
		{"ids", "fullwidth digits typed", "https://zalo.me/１２３４５６７８９０１２３４５６７８９", "look-alike of the ASCII"},
		{"ids", "fullwidth digits escaped", z + "%EF%BC%91%EF%BC%92%EF%BC%93", "read as"},
		{"ids", "none", z, "names no Official Account id"},
		{"ids", "group link", z + "g/abcdef", "names no Official Account id"},
		{"ids", "oa without id", "https://oa.zalo.me/home", "names no Official Account id"},
		{"ids", "oa id not digits", "https://oa.zalo.me/home?id=%D9%A1%D9%A2", "names no Official Account id"},
		{"hosts", "trailing dot", "https://zalo.me./" + pinnedID, "ends with a dot"},
		{"hosts", "two trailing dots", "https://zalo.me../" + pinnedID, "ends with a dot"},
		{"hosts", "subdomain", "https://evil.zalo.me/" + pinnedID, "not allowed"},
		{"hosts", "suffix", "https://zalo.me.evil.example/" + pinnedID, "not allowed"},
		{"hosts", "punycode", "https://xn--zlo-5cd.me/" + pinnedID, "punycode"},
		{"hosts", "Unicode host", "https://zalö.me/" + pinnedID, "ASCII"},
		{"hosts", "Cyrillic a", "https://zаlo.me/" + pinnedID, "ASCII"},
		{"hosts", "fullwidth letter", "https://ｚalo.me/" + pinnedID, "look-alike"},
		{"hosts", "escaped dot", "https://zalo%2eme/" + pinnedID, "%-escaped"},
		{"hosts", "decimal IP", "https://2130706433/" + pinnedID, "IP address"},
		{"hosts", "hex IP", "https://0x7f000001/" + pinnedID, "IP address"},
		{"hosts", "IPv6", "https://[::1]/" + pinnedID, "IP address"},
		{"schemes", "http", "http://zalo.me/" + pinnedID, "https://"},
		{"schemes", "javascript", "javascript:location='https://zalo.me/" + attackerID + "'", "https://"},
		{"schemes", "data", "data:text/html,zalo", "https://"},
		{"schemes", "one slash", "https:/zalo.me/" + attackerID, "absolute"},
		{"schemes", "no slash", "https:zalo.me/" + attackerID, "absolute"},
		{"schemes", "three slashes", "https:///zalo.me/" + attackerID, "absolute"},
		{"schemes", "scheme-relative", "//zalo.me/" + attackerID, "https://"},
	}
}

// TestAttackTargets checks that every attack case is refused, as Invalid,
// with a message that says what to fix, through both entry points.
func TestAttackTargets(t *testing.T) {
	p := campaign.Policy{Hosts: campaign.DefaultHosts}
	var classes []string
	counts := map[string]int{}
	for _, tt := range attackCases() {
		if counts[tt.class] == 0 {
			classes = append(classes, tt.class)
		}
		counts[tt.class]++
		t.Run(tt.class+"/"+tt.name, func(t *testing.T) {
			got, err := p.CheckPinned(tt.in, pins)
			if err == nil {
				t.Fatalf("CheckPinned(%q) = %q, want an error", tt.in, got)
			}
			if apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("CheckPinned(%q) error kind = %v, want Invalid", tt.in, apperr.KindOf(err))
			}
			if !strings.Contains(apperr.Message(err), tt.msg) {
				t.Errorf("CheckPinned(%q) = %q, want a message mentioning %q", tt.in, apperr.Message(err), tt.msg)
			}
			// The two-step path the Service takes must agree.
			if c, err := p.Check(tt.in); err == nil {
				if err := campaign.CheckPinnedTarget(c, pins); err == nil {
					t.Errorf("Check(%q) = %q and the pin check accepts it", tt.in, c)
				}
			}
		})
	}
	for _, class := range classes {
		t.Logf("%-28s %d cases", class, counts[class])
	}
}
