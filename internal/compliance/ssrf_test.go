package compliance_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/compliance"
)

// hostsResolver answers from a fixed table, so no name in these tests is
// ever looked up outside the machine; a name may answer differently on
// each lookup (DNS rebinding).
type hostsResolver struct {
	mu    sync.Mutex
	hosts map[string][]string // name → answers, one per lookup (the last repeats)
}

func (h *hostsResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	answers, ok := h.hosts[strings.ToLower(host)]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	a := answers[0]
	if len(answers) > 1 {
		h.hosts[strings.ToLower(host)] = answers[1:]
	}
	return []netip.Addr{netip.MustParseAddr(a)}, nil
}

// counted serves a page on addr (127.0.0.1:0 or another loopback address)
// and counts the requests it gets.
func counted(t *testing.T, addr string, h http.HandlerFunc) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	var n atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), &n
}

func TestCheckerRefusesPrivateAddresses(t *testing.T) {
	const secret = "db-password-7f3a"
	target, hits := counted(t, "127.0.0.1:0", htmlPage("img-src 'self' "+secret+".example", `<img src="http://`+secret+`/">`))
	_, port, _ := net.SplitHostPort(target)
	second, hits2 := counted(t, "127.0.0.2:0", htmlPage("", "second"))
	_, port2, _ := net.SplitHostPort(second)
	// A public-looking first hop (allowed by AllowAddrs below) that
	// redirects into the machine.
	hop, _ := counted(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-literal":
			http.Redirect(w, r, "http://127.0.0.2:"+port2+"/", http.StatusFound)
		case "/to-decimal":
			http.Redirect(w, r, "http://2130706434:"+port2+"/", http.StatusFound) // 127.0.0.2
		case "/to-name":
			http.Redirect(w, r, "http://rebind.example:"+port2+"/", http.StatusFound)
		}
	})
	_, hopPort, _ := net.SplitHostPort(hop)
	res := &hostsResolver{hosts: map[string][]string{
		"localhost":        {"127.0.0.1"},
		"intranet.example": {"127.0.0.1"},
		"mapped.example":   {"::ffff:127.0.0.1"},
		// The first answer (allowed below as if public) passes; the next
		// one, for the redirect to the same name, is another address
		// inside the machine: the dial-time check catches it.
		"rebind.example": {"127.0.0.1", "127.0.0.2"},
	}}
	cases := []struct{ homepage, why string }{
		{"http://127.0.0.1:" + port + "/", "loopback"},
		{"http://localhost:" + port + "/", "host resolves to a loopback"},
		{"http://intranet.example:" + port + "/", "host resolves to a loopback"},
		{"http://mapped.example:" + port + "/", "IPv4-mapped"},
		{"http://2130706433:" + port + "/", "loopback"},
		{"http://0x7f.1:" + port + "/", "loopback"},
		{"http://017700000001:" + port + "/", "loopback"},
		{"http://127.1:" + port + "/", "loopback"},
		{"http://0.0.0.0:" + port + "/", "this network"},
		{"http://0:" + port + "/", "this network"},
		{"http://[::ffff:127.0.0.1]:" + port + "/", "loopback"},
		{"http://[::ffff:7f00:1]:" + port + "/", "loopback"},
		{"http://[::1]:" + port + "/", "loopback"},
		{"http://" + hop + "/to-literal", "redirects to an address that is a loopback"},
		{"http://" + hop + "/to-decimal", "redirects to an address that is a loopback"},
		{"http://rebind.example:" + hopPort + "/to-name", "redirects to an address that is a loopback"},
	}
	var agencies []compliance.Agency
	for i, c := range cases {
		agencies = append(agencies, compliance.Agency{ID: int64(i + 1), Name: c.homepage, Homepage: c.homepage})
	}
	c := &compliance.Checker{
		PublicURL: "https://badge.example.gov.vn", Timeout: 5 * time.Second, Resolver: res,
		AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Concurrency: 1,
	}
	// The first hop is allowed only for the redirect cases.
	results := make([]compliance.Result, 0, len(cases))
	results = append(results, (&compliance.Checker{PublicURL: c.PublicURL, Timeout: c.Timeout, Resolver: res, Concurrency: 1}).
		Check(context.Background(), agencies[:len(cases)-4], []string{"bnv"})...)
	results = append(results, c.Check(context.Background(), agencies[len(cases)-4:len(cases)-3], []string{"bnv"})...)
	results = append(results, c.Check(context.Background(), agencies[len(cases)-3:], []string{"bnv"})...)
	for i, r := range results {
		t.Run(cases[i].homepage, func(t *testing.T) {
			if r.Status != compliance.Refused || !strings.Contains(r.Reason, cases[i].why) || !strings.Contains(r.Reason, "--check-allow-private") {
				t.Errorf("status %s (%s), want refused for %q", r.Status, r.Reason, cases[i].why)
			}
			if r.FinalURL != "" || r.HTTP != 0 || r.Fix != "" || len(r.Forms) != 0 || r.CMS != "" {
				t.Errorf("a refused check kept what it fetched: %+v", r)
			}
		})
	}
	if hits.Load() != 0 || hits2.Load() != 0 {
		t.Errorf("refused addresses got %d and %d requests, want none", hits.Load(), hits2.Load())
	}

	// With --check-allow-private the same page is checked; even then the
	// report holds only the checker's own words.
	ok := &compliance.Checker{PublicURL: "https://badge.example.gov.vn", Timeout: 5 * time.Second, AllowPrivate: true}
	rs := ok.Check(context.Background(), agencies[:1], []string{"bnv"})
	if rs[0].Status != compliance.Missing || hits.Load() != 1 {
		t.Errorf("AllowPrivate: %s (%s), %d hits", rs[0].Status, rs[0].Reason, hits.Load())
	}
}

// A port that answers in another protocol (a database, SSH) makes the HTTP
// client's error quote its first bytes; none of them reaches the report.
func TestCheckerNeverQuotesWhatItRead(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprint(conn, "SSH-2.0-OpenSSH_9.6 banner-secret-42\r\n")
			conn.Close()
		}
	}()
	c := &compliance.Checker{PublicURL: "https://badge.example.gov.vn", Timeout: 5 * time.Second, AllowPrivate: true}
	rs := c.Check(context.Background(), []compliance.Agency{{ID: 1, Name: "ssh", Homepage: "http://" + ln.Addr().String() + "/"}}, []string{"bnv"})
	if len(rs) != 1 || rs[0].Status != compliance.Unreachable {
		t.Fatalf("results %+v, want unreachable", rs)
	}
	for _, s := range []string{rs[0].Reason, rs[0].Fix, rs[0].FixWhere} {
		if strings.Contains(s, "SSH") || strings.Contains(s, "secret") {
			t.Errorf("the report quotes the port's bytes: %q", s)
		}
	}
	t.Logf("reason: %s", rs[0].Reason)
}

// The resources a page references go through the same guard: a public
// URL on an address the checker may not reach is never fetched.
func TestCheckerGuardsResources(t *testing.T) {
	badgeAddr, badgeHits := counted(t, "127.0.0.2:0", htmlPage("", ""))
	pub := "http://" + badgeAddr
	home := portal(t, htmlPage("", `<img src="`+pub+`/b/bnv.svg">`))
	c := &compliance.Checker{PublicURL: pub, Timeout: 5 * time.Second, AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	rs := c.Check(context.Background(), []compliance.Agency{{ID: 1, Name: "p", Homepage: home}}, []string{"bnv"})
	if len(rs) != 1 || rs[0].Status != compliance.Broken || !strings.Contains(rs[0].Reason, "this server's address is a loopback") {
		t.Errorf("results %+v, want broken: our own address refused", rs)
	}
	if badgeHits.Load() != 0 {
		t.Errorf("the refused address got %d requests", badgeHits.Load())
	}
}
