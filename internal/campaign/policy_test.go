package campaign_test

import (
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/campaign"
)

func TestPolicyCheck(t *testing.T) {
	p := campaign.Policy{Hosts: campaign.DefaultHosts}
	accept := []struct{ name, in, want string }{
		{"zalo.me", "https://zalo.me/1234567890", "https://zalo.me/1234567890"},
		{"oa.zalo.me with spaces", "  https://oa.zalo.me/home?id=42  ", "https://oa.zalo.me/home?id=42"},
		{"upper case", "HTTPS://ZALO.ME/abc", "https://zalo.me/abc"},
		{"escaped space", "https://zalo.me/s/12%20ab", "https://zalo.me/s/12%20ab"},
	}
	for _, tt := range accept {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Check(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Check(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	refuse := []struct{ name, in, msg string }{
		{"empty", "", "empty"},
		{"spaces", "   ", "empty"},
		{"very long", "https://zalo.me/" + strings.Repeat("a", 600), "long"},
		{"javascript", "javascript:alert(1)", "https://"},
		{"data", "data:text/html,hi", "https://"},
		{"http", "http://zalo.me/1", "https://"},
		{"no host", "https:///path", "host"},
		{"opaque", "https:zalo.me/1", "absolute"},
		{"suffix trick", "https://zalo.me.evil.example/1", "not allowed"},
		{"subdomain", "https://evil.zalo.me/1", "not allowed"},
		{"userinfo", "https://zalo.me@evil.example/1", "user name"},
		{"userinfo allowed host", "https://evil.example@zalo.me/1", "user name"},
		{"port", "https://zalo.me:8443/1", "port"},
		{"empty port", "https://ZAlo.me:", "port"},
		{"ipv6", "https://[::1]/1", "IP address"},
		{"cyrillic a", "https://zаlo.me/1", "ASCII"},
		{"punycode", "https://xn--zlo-5cd.me/1", "punycode"},
		{"backslash", `https://zalo.me\@evil.example/1`, "backslash"},
		{"tab", "https://zalo.me/\t1", "tab"},
		{"newline", "https://zalo.me/1\nLocation: x", "line break"},
		{"trailing dot", "https://zalo.me./1", "ends with a dot"},
		{"ip", "https://203.0.113.7/1", "IP address"},
		{"encoded host", "https://zalo%2eme/1", "%-escaped"},
		{"dot segment", "https://zalo.me/a/../1", "resolve away"},
		{"encoded slash", "https://zalo.me/a%2F..%2F1", "escaped"},
		{"double escape", "https://zalo.me/%252e", "decode twice"},
	}
	for _, tt := range refuse {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Check(tt.in)
			if err == nil {
				t.Fatalf("Check(%q) = %q, want an error", tt.in, got)
			}
			if apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("Check(%q) error kind = %v, want Invalid", tt.in, apperr.KindOf(err))
			}
			if !strings.Contains(apperr.Message(err), tt.msg) {
				t.Errorf("Check(%q) = %q, want a message mentioning %q", tt.in, apperr.Message(err), tt.msg)
			}
		})
	}
}

func TestCheckHost(t *testing.T) {
	for _, h := range []string{"zalo.me", "oa.zalo.me", "a-b.example"} {
		if err := campaign.CheckHost(h); err != nil {
			t.Errorf("CheckHost(%q) = %v, want nil", h, err)
		}
	}
	for _, h := range []string{"", "Zalo.me", ".zalo.me", "zalo.me.", "-a.me", "a..me", "xn--zlo-5cd.me", "zalo.me/x", "zаlo.me", "127.1", "203.0.113.7", "0x7f.1", "a.0xff"} {
		if err := campaign.CheckHost(h); err == nil {
			t.Errorf("CheckHost(%q) = nil, want an error", h)
		}
	}
}

// FuzzPolicyCheck checks that whatever the policy accepts is canonical
// (accepted again unchanged), on an allowed host, and that a browser (the
// WHATWG reference) navigates to exactly the canonical form, and from what
// was typed to the same resource.
func FuzzPolicyCheck(f *testing.F) {
	for _, s := range []string{"https://zalo.me/1", "https://zalo.me@evil.example", "javascript:alert(1)", "https://zalo.me:1/", "HTTPS://ZALO.ME/%zz", "https://ZAlo.me:"} {
		f.Add(s)
	}
	p := campaign.Policy{Hosts: campaign.DefaultHosts}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := p.Check(in)
		if err != nil {
			if apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("Check(%q) error %v is %v, want Invalid", in, err, apperr.KindOf(err))
			}
			return
		}
		again, err := p.Check(got)
		if err != nil || again != got {
			t.Fatalf("Check(%q) = %q, but Check of that = %q, %v", in, got, again, err)
		}
		checkCanonical(t, in, got, p.Hosts)
	})
}
