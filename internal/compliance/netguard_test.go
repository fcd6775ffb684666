package compliance

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// These tests judge addresses without connecting to them: only loopback
// addresses are ever dialled (in the package's other tests).

func TestGuardAddr(t *testing.T) {
	for _, tt := range []struct {
		addr string
		why  string // "" for public
	}{
		{"127.0.0.1", "loopback"},
		{"127.255.1.2", "loopback"},
		{"0.0.0.0", "this network"},
		{"0.1.2.3", "this network"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"169.254.169.254", "link-local"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.254", "carrier-grade NAT"},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"192.0.0.8", "IETF protocol"},
		{"192.0.2.1", "documentation"},
		{"224.0.0.1", "multicast"},
		{"240.0.0.1", "reserved"},
		{"255.255.255.255", "broadcast"},
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:10.0.0.1", "private"},
		{"::ffff:169.254.169.254", "link-local"},
		{"::127.0.0.1", "loopback"},
		{"64:ff9b::7f00:1", "loopback address (127.0.0.0/8) inside a NAT64"},
		{"64:ff9b::a9fe:a9fe", "link-local"},
		{"64:ff9b:1::1", "local-use NAT64"},
		{"2002:7f00:1::1", "inside a 6to4"},
		{"2001::1", "Teredo"},
		{"2001:db8::1", "documentation"},
		{"fc00::1", "unique-local"},
		{"fd12:3456::1", "unique-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"ff02::1", "multicast"},
		{"100::1", "discard"},
		{"8.8.8.8", ""},
		{"203.162.4.190", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""},
		{"2001:4860:4860::8888", ""},
		{"2002:808:808::1", ""},
	} {
		t.Run(tt.addr, func(t *testing.T) {
			got := guardAddr(netip.MustParseAddr(tt.addr))
			if tt.why == "" && got != "" || tt.why != "" && !strings.Contains(got, tt.why) {
				t.Errorf("guardAddr(%s) = %q, want %q", tt.addr, got, tt.why)
			}
		})
	}
}

func TestParseHostAddr(t *testing.T) {
	for _, tt := range []struct {
		host string
		want string // the address, "" for a name, "bad" for an invalid one
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"2130706433", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"0x7F000001", "127.0.0.1"},
		{"017700000001", "127.0.0.1"},
		{"0177.0.0.01", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"10.1", "10.0.0.1"},
		{"169.254.43518", "169.254.169.254"},
		{"0", "0.0.0.0"},
		{"0x", "0.0.0.0"},
		{"127.0.0.1.", "127.0.0.1"},
		{"[::1]", "::1"},
		{"::ffff:7f00:1", "::ffff:127.0.0.1"},
		{"fe80::1%eth0", "fe80::1%eth0"},
		{"portal.example", ""},
		{"a.1b", ""},
		{"1a.example", ""},
		{"localhost", ""},
		{"256.0.0.1", "bad"},
		{"1.2.3.4.5", "bad"},
		{"4294967296", "bad"},
		{"09.1.1.1", "bad"},
		{"example.123", "bad"},
	} {
		t.Run(tt.host, func(t *testing.T) {
			a, ok, err := parseHostAddr(tt.host)
			var got string
			switch {
			case err != nil:
				got = "bad"
			case ok:
				got = a.String()
			}
			if got != tt.want {
				t.Errorf("parseHostAddr(%q) = %q, %v, %v; want %q", tt.host, a, ok, err, tt.want)
			}
		})
	}
}

// The Control hook refuses by the address the socket connects to, so a
// name that resolved to something else a moment before changes nothing.
func TestGuardControl(t *testing.T) {
	g := &guard{}
	ctl := g.control("portal.example")
	var re *RefusedError
	if err := ctl(context.Background(), "tcp4", "127.0.0.1:80", nil); !errors.As(err, &re) || !strings.Contains(re.Why, "loopback") {
		t.Errorf("control(127.0.0.1:80) = %v, want a loopback refusal", err)
	}
	if err := ctl(context.Background(), "tcp6", "[fd00::1]:443", nil); !errors.As(err, &re) {
		t.Errorf("control([fd00::1]:443) = %v, want a refusal", err)
	}
	if err := ctl(context.Background(), "tcp4", "8.8.8.8:443", nil); err != nil {
		t.Errorf("control(8.8.8.8:443) = %v, want nil", err)
	}
	if err := (&guard{allowPrivate: true}).control("x")(context.Background(), "tcp4", "127.0.0.1:80", nil); err != nil {
		t.Errorf("with allowPrivate, control(127.0.0.1) = %v", err)
	}
	allow := &guard{allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}
	if err := allow.control("x")(context.Background(), "tcp4", "10.1.2.3:80", nil); err != nil {
		t.Errorf("10.1.2.3 in an allowed block: %v", err)
	}
	if err := allow.control("x")(context.Background(), "tcp4", "10.2.0.1:80", nil); err == nil {
		t.Error("10.2.0.1 outside the allowed block was allowed")
	}
}

// FuzzHostAddr: any host is a name, an address or refused as invalid,
// never a panic; an address judged public is a global unicast one.
func FuzzHostAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "2130706433", "0x7f.1", "017700000001", "[::ffff:127.0.0.1]", "64:ff9b::a9fe:a9fe", "portal.example", "1.2.3.4.5", "0x", "fe80::1%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		a, ok, err := parseHostAddr(host)
		if err != nil && ok {
			t.Fatalf("parseHostAddr(%q) is both an address and invalid", host)
		}
		if !ok {
			return
		}
		if guardAddr(a) == "" && (!a.IsGlobalUnicast() || a.Unmap().IsLoopback() || a.Unmap().IsPrivate()) {
			t.Fatalf("guardAddr(%s) = public for %q", a, host)
		}
	})
}
