package compliance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The checker fetches addresses that editors typed into the register, so
// without a guard it is a way into the server's own network: loopback
// services, the cloud metadata endpoint at 169.254.169.254, databases on
// private ranges. The guard sits in the dialer, where the address about to
// be connected is known for certain: every connection, the first one and
// every redirect's, is checked there, so neither a redirect nor a name that
// resolves differently the second time (DNS rebinding) gets around it.

// Resolver looks up the addresses of a host name. *net.Resolver satisfies
// it; tests give a fixed table so that no name leaves the machine.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// RefusedError says why the checker would not connect to an address.
type RefusedError struct {
	// Host is the host as the URL named it (a name or a literal address).
	Host string
	// Addr is the address refused. It is not shown when Host is a name:
	// what a name resolves to inside the network is not for viewers.
	Addr netip.Addr
	// Why describes the address: "a loopback address (127.0.0.0/8)".
	Why string
}

func (e *RefusedError) Error() string {
	if _, err := netip.ParseAddr(strings.Trim(e.Host, "[]")); err == nil || e.Host == e.Addr.String() {
		return fmt.Sprintf("%s is %s", e.Host, e.Why)
	}
	return fmt.Sprintf("%s resolves to %s", e.Host, e.Why)
}

// special lists the address blocks the checker never connects to unless
// told to: those that are not on the public internet (RFC 6890 and its
// updates). Blocks that embed an IPv4 address (mapped, NAT64, 6to4) are
// judged by the address they embed, in guardAddr.
var special = func() []struct {
	p   netip.Prefix
	why string
} {
	rows := [][2]string{
		{"255.255.255.255/32", "the broadcast address"},
		{"0.0.0.0/8", "a \"this network\" address (0.0.0.0/8)"},
		{"10.0.0.0/8", "a private address (10.0.0.0/8)"},
		{"100.64.0.0/10", "a shared carrier-grade NAT address (100.64.0.0/10)"},
		{"127.0.0.0/8", "a loopback address (127.0.0.0/8)"},
		{"169.254.0.0/16", "a link-local address (169.254.0.0/16, where cloud metadata services answer)"},
		{"172.16.0.0/12", "a private address (172.16.0.0/12)"},
		{"192.0.0.0/24", "an IETF protocol address (192.0.0.0/24)"},
		{"192.0.2.0/24", "a documentation address (192.0.2.0/24)"},
		{"192.88.99.0/24", "a 6to4 relay address (192.88.99.0/24)"},
		{"192.168.0.0/16", "a private address (192.168.0.0/16)"},
		{"198.18.0.0/15", "a benchmarking address (198.18.0.0/15)"},
		{"198.51.100.0/24", "a documentation address (198.51.100.0/24)"},
		{"203.0.113.0/24", "a documentation address (203.0.113.0/24)"},
		{"224.0.0.0/4", "a multicast address (224.0.0.0/4)"},
		{"240.0.0.0/4", "a reserved address (240.0.0.0/4)"},
		{"::/128", "the unspecified address (::)"},
		{"::1/128", "the loopback address (::1)"},
		{"64:ff9b:1::/48", "a local-use NAT64 address (64:ff9b:1::/48)"},
		{"100::/64", "a discard-only address (100::/64)"},
		{"2001::/23", "an IETF special-purpose address (2001::/23, Teredo included)"},
		{"2001:db8::/32", "a documentation address (2001:db8::/32)"},
		{"3fff::/20", "a documentation address (3fff::/20)"},
		{"fc00::/7", "a unique-local address (fc00::/7)"},
		{"fe80::/10", "a link-local address (fe80::/10)"},
		{"fec0::/10", "a site-local address (fec0::/10)"},
		{"ff00::/8", "a multicast address (ff00::/8)"},
	}
	out := make([]struct {
		p   netip.Prefix
		why string
	}, len(rows))
	for i, r := range rows {
		out[i].p, out[i].why = netip.MustParsePrefix(r[0]), r[1]
	}
	return out
}()

var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4  = netip.MustParsePrefix("2002::/16")
	compat4 = netip.MustParsePrefix("::/96") // IPv4-compatible, deprecated
)

// guardAddr returns why a is not a public address, or "" when it is.
// Addresses that carry an IPv4 address inside (IPv4-mapped ::ffff:0:0/96,
// IPv4-compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by
// the address inside, so ::ffff:127.0.0.1 is refused as loopback.
func guardAddr(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is4In6() {
		if why := guardAddr(a.Unmap()); why != "" {
			return why + " written as IPv4-mapped IPv6"
		}
		return ""
	}
	for _, s := range special {
		if s.p.Contains(a) {
			return s.why
		}
	}
	if a.Is6() {
		b := a.As16()
		var inner netip.Addr
		var how string
		switch {
		case nat64.Contains(a):
			inner, how = netip.AddrFrom4([4]byte(b[12:16])), "inside a NAT64 address"
		case compat4.Contains(a):
			inner, how = netip.AddrFrom4([4]byte(b[12:16])), "inside an IPv4-compatible address"
		case sixTo4.Contains(a):
			inner, how = netip.AddrFrom4([4]byte(b[2:6])), "inside a 6to4 address"
		}
		if inner.IsValid() {
			if why := guardAddr(inner); why != "" {
				return why + " " + how
			}
		}
	}
	if !a.IsGlobalUnicast() {
		return "not a public unicast address"
	}
	return ""
}

// parseHostAddr reads a URL host that is an address: the usual notations,
// and the numeric forms browsers and C resolvers also accept (2130706433,
// 0x7f.1, 017700000001, 127.1). ok is false for a host name; err is set for
// a host that looks numeric but is no valid address.
func parseHostAddr(host string) (a netip.Addr, ok bool, err error) {
	h := strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return a, true, nil
	}
	parts := strings.Split(h, ".")
	if !isNumericPart(parts[len(parts)-1]) {
		return netip.Addr{}, false, nil // a name, such as portal.example or a.1b
	}
	// A host that ends in a number is an IPv4 address, as browsers read it
	// (WHATWG URL): valid, or no host at all.
	bad := fmt.Errorf("%q is not a valid address", host)
	if len(parts) > 4 {
		return netip.Addr{}, false, bad
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, numeric, err := ipv4Number(p)
		if !numeric || err != nil {
			return netip.Addr{}, false, bad
		}
		nums[i] = n
	}
	last := nums[len(nums)-1]
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false, bad
		}
	}
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false, bad
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		v |= n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true, nil
}

func isNumericPart(p string) bool {
	_, numeric, _ := ipv4Number(p)
	return numeric
}

// ipv4Number parses one part of a numeric IPv4 host: decimal, octal with a
// leading 0, or hexadecimal with 0x. numeric is false when the part is not
// a number at all; err is set when it is one but too large.
func ipv4Number(p string) (n uint64, numeric bool, err error) {
	base := 10
	s := p
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, s = 16, s[2:]
		if s == "" {
			return 0, true, nil
		}
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" {
		return 0, false, nil
	}
	for _, r := range s {
		ok := r >= '0' && r <= '9' && (base != 8 || r <= '7') || base == 16 && (r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F')
		if !ok {
			return 0, false, nil
		}
	}
	n, err = strconv.ParseUint(s, base, 32)
	if err != nil {
		return 0, true, err
	}
	return n, true, nil
}

// guard is the checker's dialer: it resolves, refuses non-public addresses
// (unless allowPrivate), and checks again in the socket's Control hook, on
// the very address being connected.
type guard struct {
	allowPrivate bool
	allow        []netip.Prefix // private blocks allowed all the same
	resolver     Resolver
	timeout      time.Duration // per connection attempt
}

// check returns a *RefusedError for an address the guard refuses, or nil.
func (g *guard) check(host string, a netip.Addr) error {
	if g.allowPrivate {
		return nil
	}
	why := guardAddr(a)
	if why == "" {
		return nil
	}
	for _, p := range g.allow {
		if p.Contains(a.WithZone("").Unmap()) || p.Contains(a.WithZone("")) {
			return nil
		}
	}
	return &RefusedError{Host: host, Addr: a, Why: why}
}

// control runs after the socket is made and before it connects: the last
// word on the address, whatever resolved it.
func (g *guard) control(host string) func(ctx context.Context, network, address string, _ syscall.RawConn) error {
	return func(_ context.Context, _, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &RefusedError{Host: host, Why: "not an address the checker can judge"}
		}
		return g.check(host, ap.Addr())
	}
}

// DialContext resolves address and connects to the first of its addresses
// that answers, refusing the host outright when any of them is not public
// (so a name cannot mix a public and a private answer).
func (g *guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := g.resolve(ctx, network, host)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if err := g.check(host, a); err != nil {
			return nil, err
		}
	}
	d := net.Dialer{Timeout: g.timeout, ControlContext: g.control(host)}
	var first error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		var re *RefusedError
		if errors.As(err, &re) || ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, first
}

// resolve returns the addresses of host: itself when it is an address in
// any notation, else what the resolver says.
func (g *guard) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	a, ok, err := parseHostAddr(host)
	if err != nil {
		return nil, &RefusedError{Host: host, Why: "not a valid address"}
	}
	if ok {
		return []netip.Addr{a}, nil
	}
	ipNet := "ip"
	switch network {
	case "tcp4":
		ipNet = "ip4"
	case "tcp6":
		ipNet = "ip6"
	}
	r := g.resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, ipNet, host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return addrs, nil
}
