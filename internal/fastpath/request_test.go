package fastpath

import (
	"bufio"
	"bytes"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"
)

const browserHead = "GET /b/bnv.svg?size=192&theme=dark HTTP/1.1\r\n" +
	"Host: badge.example.gov.vn\r\n" +
	"Connection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"156\", \"Not)A;Brand\";v=\"24\"\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36\r\n" +
	"Accept: image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8\r\n" +
	"Sec-Fetch-Site: cross-site\r\n" +
	"Referer: https://snv.hanoi.gov.vn/\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: vi-VN,vi;q=0.9\r\n" +
	"If-None-Match:   \"abc\"\t \r\n" +
	"\r\n"

// TestParseTakesWhatBrowsersSend reads a browser's request for a badge.
func TestParseTakesWhatBrowsersSend(t *testing.T) {
	var r Request
	if !parse([]byte(browserHead), &r) {
		t.Fatal("parse refused a browser's request")
	}
	if r.Path != "/b/bnv.svg" || r.RawQuery != "size=192&theme=dark" {
		t.Errorf("Path, RawQuery = %q, %q", r.Path, r.RawQuery)
	}
	for _, c := range []struct {
		name, want string
		n          int
	}{
		{"Host", "badge.example.gov.vn", 1},
		{"referer", "https://snv.hanoi.gov.vn/", 1},
		{"ACCEPT-ENCODING", "gzip, deflate, br, zstd", 1},
		{"If-None-Match", `"abc"`, 1}, // spaces and tabs around a value are not part of it
		{"Origin", "", 0},
	} {
		if got, n := r.Header(c.name); got != c.want || n != c.n {
			t.Errorf("Header(%q) = %q, %d; want %q, %d", c.name, got, n, c.want, c.n)
		}
	}
	if headEnd([]byte(browserHead+"GET /next")) != len(browserHead) {
		t.Errorf("headEnd does not stop at the blank line")
	}
	if headEnd([]byte(browserHead[:len(browserHead)-1])) != -1 {
		t.Errorf("headEnd found the end of an unfinished head")
	}
	for _, h := range []string{"GET / HTTP/1.1\nHost", "GET / HTTP/1.1\r\nHost: h\n", "\n", "GET / HTTP/1.1\r\nHost: h\r\n\n"} {
		if n := headEnd([]byte(h)); n != bareLF {
			t.Errorf("headEnd(%q) = %d, want bareLF: a line net/http takes and parse does not", h, n)
		}
	}
}

// TestParseLeavesTheRestToNetHTTP lists heads the fast path must not take:
// net/http answers them, whatever it says.
func TestParseLeavesTheRestToNetHTTP(t *testing.T) {
	const host = "Host: h\r\n"
	for _, c := range []struct{ name, head string }{
		{"HEAD", "HEAD /b/x.svg HTTP/1.1\r\n" + host + "\r\n"},
		{"POST", "POST /b/x.svg HTTP/1.1\r\n" + host + "\r\n"},
		{"lower-case method", "get /b/x.svg HTTP/1.1\r\n" + host + "\r\n"},
		{"HTTP/1.0", "GET /b/x.svg HTTP/1.0\r\n" + host + "\r\n"},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\n"},
		{"absolute form", "GET http://h/b/x.svg HTTP/1.1\r\n" + host + "\r\n"},
		{"asterisk", "GET * HTTP/1.1\r\n" + host + "\r\n"},
		{"escaped path", "GET /b/%78.svg HTTP/1.1\r\n" + host + "\r\n"},
		{"fragment", "GET /b/x.svg#f HTTP/1.1\r\n" + host + "\r\n"},
		{"two spaces", "GET  /b/x.svg HTTP/1.1\r\n" + host + "\r\n"},
		{"space before version", "GET /b/x.svg  HTTP/1.1\r\n" + host + "\r\n"},
		{"no version", "GET /b/x.svg\r\n" + host + "\r\n"},
		{"non-ASCII target", "GET /b/\xc3\xa1.svg HTTP/1.1\r\n" + host + "\r\n"},
		{"control in target", "GET /b/x.svg?\x01 HTTP/1.1\r\n" + host + "\r\n"},
		{"no Host", "GET /b/x.svg HTTP/1.1\r\n\r\n"},
		{"two Hosts", "GET /b/x.svg HTTP/1.1\r\n" + host + "host: h\r\n\r\n"},
		{"bad Host", "GET /b/x.svg HTTP/1.1\r\nHost: a b\r\n\r\n"},
		{"Content-Length", "GET /b/x.svg HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n"},
		{"Transfer-Encoding", "GET /b/x.svg HTTP/1.1\r\n" + host + "transfer-encoding: chunked\r\n\r\n"},
		{"Expect", "GET /b/x.svg HTTP/1.1\r\n" + host + "Expect: 100-continue\r\n\r\n"},
		{"Upgrade", "GET /b/x.svg HTTP/1.1\r\n" + host + "Upgrade: h2c\r\n\r\n"},
		{"Connection: close", "GET /b/x.svg HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n"},
		{"Connection: Upgrade", "GET /b/x.svg HTTP/1.1\r\n" + host + "Connection: keep-alive, Upgrade\r\n\r\n"},
		{"obs-fold", "GET /b/x.svg HTTP/1.1\r\n" + host + "Referer: a\r\n b\r\n\r\n"},
		{"space before colon", "GET /b/x.svg HTTP/1.1\r\n" + host + "Referer : a\r\n\r\n"},
		{"no colon", "GET /b/x.svg HTTP/1.1\r\n" + host + "Referer\r\n\r\n"},
		{"empty name", "GET /b/x.svg HTTP/1.1\r\n" + host + ": a\r\n\r\n"},
		{"bare LF", "GET /b/x.svg HTTP/1.1\r\n" + host + "Referer: a\nX: b\r\n\r\n"},
		{"bare CR", "GET /b/x.svg HTTP/1.1\r\n" + host + "Referer: a\rX: b\r\n\r\n"},
		{"NUL in value", "GET /b/x.svg HTTP/1.1\r\n" + host + "Referer: a\x00b\r\n\r\n"},
		{"DEL in value", "GET /b/x.svg HTTP/1.1\r\n" + host + "Referer: a\x7fb\r\n\r\n"},
		{"obs-text in value", "GET /b/x.svg HTTP/1.1\r\n" + host + "Referer: \xe1\r\n\r\n"},
		{"non-token name", "GET /b/x.svg HTTP/1.1\r\n" + host + "Ref(er): a\r\n\r\n"},
		{"bare LF ends the head", "GET /b/x.svg HTTP/1.1\n" + host + "\n"},
		{"too many lines", "GET /b/x.svg HTTP/1.1\r\n" + host + strings.Repeat("X: y\r\n", maxFields) + "\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r Request
			if parse([]byte(c.head), &r) {
				t.Errorf("parse took %q", c.head)
			}
		})
	}
}

// netHTTPReads is what net/http's server makes of head: the request, or
// an error where it would answer 400. It applies the server's checks on
// top of http.ReadRequest (net/http/server.go, readRequest).
func netHTTPReads(head []byte) (*http.Request, bool) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if err != nil {
		return nil, false
	}
	// http.ReadRequest drops the Host lines the server checks: read them again.
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(head)))
	if _, err := tp.ReadLine(); err != nil {
		return nil, false
	}
	mh, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, false
	}
	hosts, haveHost := mh["Host"]
	if req.ProtoAtLeast(1, 1) && (!haveHost || len(hosts) == 0) {
		return nil, false
	}
	if len(hosts) > 1 || len(hosts) == 1 && !httpguts.ValidHostHeader(hosts[0]) {
		return nil, false
	}
	for k, vv := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return nil, false
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, false
			}
		}
	}
	return req, true
}

// FuzzParseIsASubsetOfNetHTTP checks, for any head, that parse takes only
// what net/http takes, and reads it as net/http does: the same method,
// path, query and header values.
func FuzzParseIsASubsetOfNetHTTP(f *testing.F) {
	f.Add([]byte(browserHead))
	f.Add([]byte("GET /b/bnv.png HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte("GET /b/x.svg?a=%41&b HTTP/1.1\r\nHost: h:80\r\nX: \t\r\nReferer: a\r\nreferer: b\r\n\r\n"))
	f.Add([]byte("GET /b/x.svg HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: KEEP-ALIVE\r\n\r\n"))
	f.Add([]byte("GET /?? HTTP/1.1\r\nHost:\r\n\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		n := headEnd(head)
		if n < 0 {
			return
		}
		head = head[:n]
		var r Request
		if !parse(head, &r) {
			return
		}
		req, ok := netHTTPReads(head)
		if !ok {
			t.Fatalf("parse took %q, which net/http refuses", head)
		}
		if req.Method != http.MethodGet || req.URL.Path != r.Path || req.URL.RawQuery != r.RawQuery ||
			req.URL.RawPath != "" && req.URL.RawPath != r.Path { // net/url keeps "/!" as RawPath too: the same path
			t.Fatalf("%q: net/http reads %s %q ? %q (raw path %q), parse %q ? %q", head, req.Method, req.URL.Path, req.URL.RawQuery, req.URL.RawPath, r.Path, r.RawQuery)
		}
		if req.Close {
			t.Fatalf("%q: net/http closes after it, parse keeps the connection", head)
		}
		req.Header["Host"] = []string{req.Host}
		for i := range r.NumFields() {
			name, _ := r.Field(i)
			got, n := r.Header(name)
			want := req.Header[http.CanonicalHeaderKey(name)]
			if n != len(want) || got != want[0] {
				t.Fatalf("%q: header %q is %q (%d lines), net/http reads %q", head, name, got, n, want)
			}
		}
	})
}

// TestAppendDateIsNetHTTPs compares the Date value with net/http's.
func TestAppendDateIsNetHTTPs(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 28, 3, 4, 5, 999, time.UTC),
		time.Date(2026, 11, 28, 10, 4, 5, 0, time.FixedZone("ICT", 7*3600)),
		time.Date(2026, 11, 28, 3, 4, 6, 0, time.UTC),
	} {
		if got, want := string(AppendDate(nil, tm)), tm.UTC().Format(http.TimeFormat); got != want {
			t.Errorf("AppendDate(%v) = %q, want %q", tm, got, want)
		}
	}
}
