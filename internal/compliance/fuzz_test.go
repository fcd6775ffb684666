package compliance_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/compliance"
)

// FuzzParseCSV: any file is either imported whole, every agency valid, or
// refused with reasons; never a panic.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("name,kind,homepage\nSở A,unit,https://a.example\n"))
	f.Add([]byte("\ufeffname;kind;homepage;parent\nA;district;http://a.example;\nB;commune;https://b.example;A\n"))
	f.Add([]byte("name,kind,homepage\n\"unterminated,unit,https://x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		as, err := compliance.ParseCSV(bytes.NewReader(data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		for _, a := range as {
			if err := a.Validate(); err != nil {
				t.Fatalf("ParseCSV accepted %+v: %v", a, err)
			}
		}
	})
}

// FuzzCSP: any policy parses, and Blocked and FixLine answer for every form.
func FuzzCSP(f *testing.F) {
	f.Add("default-src 'self'; img-src https://badge.example.gov.vn data:")
	f.Add("script-src 'nonce-x' 'strict-dynamic', img-src *")
	f.Add("img-src *.example.gov.vn:*/b/; frame-src 'none'")
	page, _ := url.Parse("https://portal.example/")
	target, _ := url.Parse("https://badge.example.gov.vn/b/bnv.svg")
	f.Fuzz(func(t *testing.T, policy string) {
		for _, p := range compliance.ParsePolicies(policy) {
			for _, form := range []compliance.Form{compliance.FormImage, compliance.FormScript, compliance.FormFrame} {
				p.Blocked(form, target, page)
				if fix := p.FixLine(form, "https://badge.example.gov.vn"); !strings.HasSuffix(fix, "https://badge.example.gov.vn") {
					t.Fatalf("FixLine(%q) = %q", policy, fix)
				}
			}
		}
	})
}

// pageTransport answers every request with one page, so the checker's
// HTML parser can be fuzzed without a network.
type pageTransport struct{ body []byte }

func (p pageTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/html"}}, Body: io.NopCloser(bytes.NewReader(p.body)), Request: r}, nil
}

// FuzzCheckPage: any homepage gives one result with a known status.
func FuzzCheckPage(f *testing.F) {
	f.Add([]byte(`<script src="https://badge.example.gov.vn/embed.js" data-oabadge="bnv"></script>`))
	f.Add([]byte(`<noscript><img src="https://badge.example.gov.vn/b/bnv.svg"></noscript><meta http-equiv="content-security-policy" content="img-src 'none'">`))
	f.Add([]byte(`<base href="https://badge.example.gov.vn/"><iframe src="e/bnv"></iframe><noscript><noscript>`))
	f.Fuzz(func(t *testing.T, page []byte) {
		c := &compliance.Checker{PublicURL: "https://badge.example.gov.vn", Transport: pageTransport{page}, Timeout: 5 * time.Second, MaxBody: 64 << 10}
		rs := c.Check(context.Background(), []compliance.Agency{{ID: 1, Name: "A", Homepage: "https://portal.example/"}}, []string{"bnv"})
		if len(rs) != 1 {
			t.Fatalf("%d results", len(rs))
		}
		switch rs[0].Status {
		case compliance.Embedded, compliance.Missing, compliance.Blocked, compliance.Broken:
		default:
			t.Fatalf("status %q (%s) for a page that answered 200", rs[0].Status, rs[0].Reason)
		}
	})
}

// FuzzMergeCSP: any policy either merges or is refused with a reason; a
// merged policy lets the snippet's loads in, keeps every directive once,
// and merging it again changes nothing.
func FuzzMergeCSP(f *testing.F) {
	f.Add("default-src 'self'; img-src 'self' data:", 0)
	f.Add("script-src 'nonce-x' 'strict-dynamic', img-src *", 1)
	f.Add("child-src 'none'; FRAME-SRC 'self'; frame-src x", 2)
	f.Add("sandbox allow-scripts; default-src 'none'", 1)
	const pub = "https://badge.example.gov.vn"
	page, _ := url.Parse("https://portal.invalid/")
	targets := map[compliance.Form]*url.URL{}
	for f, p := range map[compliance.Form]string{compliance.FormScript: "/embed.js", compliance.FormImage: "/b/bnv.svg", compliance.FormFrame: "/e/bnv"} {
		targets[f], _ = url.Parse(pub + p)
	}
	forms := []compliance.Form{compliance.FormScript, compliance.FormImage, compliance.FormFrame}
	f.Fuzz(func(t *testing.T, policy string, form int) {
		fm := forms[(form%3+3)%3]
		merged, err := compliance.MergeCSP(policy, pub, fm)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		loads := []compliance.Form{fm}
		if fm == compliance.FormScript {
			loads = append(loads, compliance.FormImage)
		}
		for _, p := range compliance.ParsePolicies(merged) {
			for _, l := range loads {
				if d, blocked := p.Blocked(l, targets[l], page); blocked {
					t.Fatalf("MergeCSP(%q, %s) = %q, which still blocks the %s by %s", policy, fm, merged, l, d)
				}
			}
		}
		for _, one := range strings.Split(merged, ",") {
			if merged == "" {
				break // no policy, nothing to add
			}
			seen := map[string]bool{}
			for _, d := range strings.Split(one, ";") {
				name := strings.Fields(d)
				if len(name) == 0 {
					t.Fatalf("MergeCSP(%q) = %q has an empty directive", policy, merged)
				}
				if seen[name[0]] {
					t.Fatalf("MergeCSP(%q) = %q repeats %s", policy, merged, name[0])
				}
				seen[name[0]] = true
			}
		}
		if again, err := compliance.MergeCSP(merged, pub, fm); err != nil || again != merged {
			t.Fatalf("merging %q again gave %q, %v", merged, again, err)
		}
	})
}
