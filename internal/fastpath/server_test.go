package fastpath_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/fastpath"
)

// answer is what both the net/http handler and the fast one answer: the
// method, the path and the Referer, as text.
func answer(method, path, ref string) string {
	body := method + " " + path
	if ref != "" {
		body += " from " + ref
	}
	if path == "/hot/big" {
		body += strings.Repeat(".", 1<<20)
	}
	return body
}

// hot answers GET /hot/NAME itself, byte for byte as the net/http handler
// below does (the headers sorted, then Date), declines everything else,
// and panics on /hot/panic.
type hot struct{ served atomic.Int64 }

func (h *hot) ServeFast(w []byte, r *fastpath.Request) ([]byte, bool) {
	if !strings.HasPrefix(r.Path, "/hot/") {
		return w, false
	}
	if r.Path == "/hot/panic" {
		panic("handler panics")
	}
	h.served.Add(1)
	ref, _ := r.Header("Referer")
	body := answer("GET", r.Path, ref)
	w = append(w, "HTTP/1.1 200 OK\r\nContent-Length: "...)
	w = strconv.AppendInt(w, int64(len(body)), 10)
	w = append(w, "\r\nContent-Type: text/plain; charset=utf-8\r\n"...)
	w = r.AppendEnd(w, time.Now())
	return append(w, body...), true
}

// handler is the net/http side: the same answers; on /slow it first tells
// slow and waits until release is closed.
func handler(slow, release chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			slow <- struct{}{}
			<-release
		}
		body := answer(r.Method, r.URL.Path, r.Header.Get("Referer"))
		w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
		w.Header()["Content-Type"] = []string{"text/plain; charset=utf-8"}
		_, _ = io.WriteString(w, body)
	})
}

// env is a server under test: a fastpath.Server over a net/http server,
// or (plain) the net/http server alone, configured alike.
type env struct {
	addr    string
	s       *fastpath.Server // nil for plain
	hs      *http.Server
	h       *hot
	slow    chan struct{}
	release chan struct{}
}

func serverConfig(mod func(*http.Server), h http.Handler) *http.Server {
	hs := &http.Server{ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute, Handler: h}
	if mod != nil {
		mod(hs)
	}
	return hs
}

func start(t *testing.T, mod func(*http.Server)) *env      { return startAs(t, mod, false) }
func startPlain(t *testing.T, mod func(*http.Server)) *env { return startAs(t, mod, true) }

func startAs(t *testing.T, mod func(*http.Server), plain bool) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{addr: ln.Addr().String(), h: &hot{}, slow: make(chan struct{}, 16), release: make(chan struct{})}
	e.hs = serverConfig(mod, handler(e.slow, e.release))
	serve, shutdown := e.hs.Serve, e.hs.Shutdown
	if !plain {
		e.s = &fastpath.Server{Handler: e.h, Fallback: e.hs}
		serve, shutdown = e.s.Serve, e.s.Shutdown
	}
	done := make(chan error, 1)
	go func() { done <- serve(ln) }()
	t.Cleanup(func() {
		select {
		case <-e.release:
		default:
			close(e.release)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return e
}

// dial opens a connection that fails the test's reads after 10 s rather
// than hang.
func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// read reads one response and returns its status and body.
func read(t *testing.T, br *bufio.Reader) (int, string) {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading a response: %v", err)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func get(path string, extra ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: h\r\n" + strings.Join(extra, "") + "\r\n"
}

// step is one move of a client: send bytes, then wait, or close its
// writing side.
type step struct {
	send string
	wait time.Duration
	eof  bool
}

var dateLine = regexp.MustCompile(`\r\nDate: [^\r]*`)

// play runs steps on a new connection to addr, reading all the while, and
// returns what the server sent until it closed, Date lines blanked.
func play(t *testing.T, addr string, steps []step) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(c)
		got <- b
	}()
	for _, s := range steps {
		if s.send != "" {
			_, _ = io.WriteString(c, s.send)
		}
		if s.eof {
			_ = c.(*net.TCPConn).CloseWrite()
		}
		time.Sleep(s.wait)
	}
	return dateLine.ReplaceAllString(string(<-got), "\r\nDate: -")
}

// sameAsNetHTTP plays steps against the fast path and against net/http
// alone, configured alike, at the same time, and fails unless both send
// the same bytes and close. It returns how many requests the fast path
// answered itself.
func sameAsNetHTTP(t *testing.T, mod func(*http.Server), steps ...step) int64 {
	t.Helper()
	fast, plain := start(t, mod), startPlain(t, mod)
	var got, want string
	var wg sync.WaitGroup
	wg.Go(func() { got = play(t, fast.addr, steps) })
	wg.Go(func() { want = play(t, plain.addr, steps) })
	wg.Wait()
	if got != want {
		t.Errorf("the fast path sent  %q\nnet/http alone sent %q", got, want)
	}
	return fast.h.served.Load()
}

// TestAnswersInOrderAcrossTheHandOver pipelines requests the handler
// takes and one it does not: each gets its answer, in order, and from the
// first declined one on, net/http answers, on the same connection.
func TestAnswersInOrderAcrossTheHandOver(t *testing.T) {
	e := start(t, nil)
	c, br := dial(t, e.addr)
	if _, err := io.WriteString(c, get("/hot/1", "Referer: https://a.gov.vn/\r\n")+get("/hot/2")+get("/cold")+get("/hot/3")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"GET /hot/1 from https://a.gov.vn/", "GET /hot/2", "GET /cold", "GET /hot/3"} {
		if _, body := read(t, br); body != want {
			t.Errorf("got %q, want %q", body, want)
		}
	}
	if _, err := io.WriteString(c, get("/hot/4")); err != nil {
		t.Fatal(err)
	}
	if _, body := read(t, br); body != "GET /hot/4" {
		t.Errorf("after the hand-over got %q", body)
	}
	if n := e.h.served.Load(); n != 2 {
		t.Errorf("the fast path served %d requests, want 2 (the rest are net/http's)", n)
	}
}

// TestSameBytesAsNetHTTP sends what the parser takes and what it leaves,
// alone and behind a request it takes, in one piece and a few bytes at a
// time, and ends each with the writing side closed or cut short: the
// fast path and net/http alone send the same bytes.
func TestSameBytesAsNetHTTP(t *testing.T) {
	pad := func(n int) string { return "X-Pad: " + strings.Repeat("p", n) + "\r\n" }
	for _, c := range []struct{ name, req string }{
		{"hot", get("/hot/a", "Referer: https://a.gov.vn/\r\n")},
		{"cold", get("/cold")},
		{"POST with a body", "POST /hot/x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"},
		{"bare LF", "GET /hot/x HTTP/1.1\nHost: h\n\n"},
		{"CRLF CR", "GET /hot/x HTTP/1.1\r\nHost: h\r\n\r\r\n"},
		{"escaped path", get("/hot/%78")},
		{"no Host", "GET /hot/x HTTP/1.1\r\n\r\n"},
		{"two Hosts", "GET /hot/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
		{"NUL in a value", get("/hot/x", "X: a\x00b\r\n")},
		{"bad request line", "XYZ\r\n" + get("/hot/x")},
		{"long head", get("/hot/long", pad(12<<10))},
		{"head at net/http's limit", get("/hot/long", pad(http.DefaultMaxHeaderBytes+4096-60))},
		{"head over net/http's limit", get("/hot/long", pad(http.DefaultMaxHeaderBytes+4096))},
		{"cut short", "GE"},
		{"cut after the request line", "GET /hot/a HTTP/1.1\r\n"},
		{"cut in a header", "GET /hot/a HTTP/1.1\r\nHost: h\r\nX-A: b"},
	} {
		for _, after := range []string{"", get("/hot/0")} {
			for _, pieces := range []int{0, 7} {
				name := c.name
				if after != "" {
					name += " behind a fast one"
				}
				if pieces > 0 {
					name += " in pieces"
				}
				t.Run(name, func(t *testing.T) {
					raw := after + c.req
					var steps []step
					if pieces == 0 || len(raw) > 2000 {
						steps = []step{{send: raw}}
					} else {
						for i := 0; i < len(raw); i += pieces {
							steps = append(steps, step{send: raw[i:min(i+pieces, len(raw))], wait: time.Millisecond})
						}
					}
					steps = append(steps, step{eof: true})
					sameAsNetHTTP(t, nil, steps...)
				})
			}
		}
	}
}

// TestTimingIsNetHTTPs plays slow and idle clients against both, with
// short timeouts and waits well inside or well past them: the connection
// is answered and cut alike. (net/http gives a head ReadHeaderTimeout from
// its first four bytes, or from the accept for a first request; waits
// IdleTimeout for those four bytes; and a read that failed mid-head
// ends the request.)
func TestTimingIsNetHTTPs(t *testing.T) {
	const hdr, idle = 300 * time.Millisecond, 900 * time.Millisecond
	short := func(hs *http.Server) { hs.ReadHeaderTimeout, hs.IdleTimeout, hs.ReadTimeout = hdr, idle, 2*hdr }
	in, past := hdr/4, 2*hdr
	hotA, hotB := get("/hot/a"), get("/hot/b")
	for _, c := range []struct {
		name  string
		steps []step
	}{
		{"first head finished in time", []step{{send: hotA[:10], wait: in}, {send: hotA[10:], wait: in}, {eof: true}}},
		{"first head finished late", []step{{send: hotA[:10], wait: past}, {send: hotA[10:], wait: in}, {eof: true}}},
		{"first head, a header cut at the deadline", []step{{send: "GET /hot/a HTTP/1.1\r\nHost: h\r\nX-A: b", wait: past}, {send: "\r\n\r\n", wait: in}, {eof: true}}},
		{"first head, two bytes then late", []step{{send: "GE", wait: past}, {send: hotA[2:], wait: in}}},
		{"next head finished late", []step{{send: hotA + hotB[:10], wait: past}, {send: hotB[10:], wait: in}, {eof: true}}},
		{"next head trickled", []step{{send: hotA, wait: in}, {send: hotB[:4], wait: in}, {send: hotB[4:8], wait: in}, {send: hotB[8:12], wait: in}, {send: hotB[12:], wait: in}, {eof: true}}},
		{"three bytes wait under the idle timeout", []step{{send: hotA + "GE", wait: past}, {send: hotB[2:], wait: in}, {eof: true}}},
		{"idle past the idle timeout", []step{{send: hotA, wait: idle + past}, {send: hotB, wait: in}}},
		{"idle within the idle timeout", []step{{send: hotA, wait: idle - past}, {send: hotB, wait: in}, {eof: true}}},
		{"bare LF while idle", []step{{send: hotA + "\n", wait: past}, {send: hotB, wait: in}, {eof: true}}},
		{"bad line, then nothing", []step{{send: hotA + "XYZ\r\n", wait: in}, {eof: true}}},
		{"declined head finished late", []step{{send: "POST /cold HTTP/1.1\r\nHost: h\r\n", wait: past}, {send: "Content-Length: 1\r\n\r\nx", wait: in}}},
		{"declined head, body late", []step{{send: "POST /cold HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n", wait: hdr}, {send: "a", wait: hdr + in}, {send: "bc", wait: in}, {eof: true}}},
		{"bare-LF head finished late", []step{{send: "GET /hot/a HTTP/1.1\r\n", wait: hdr / 2}, {send: "Host: h\n", wait: hdr}, {send: "\n", wait: in}, {eof: true}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sameAsNetHTTP(t, short, c.steps...)
		})
	}
}

// TestLongHeadIsServedHere sends a head of 12 KiB, more than the read
// buffer and less than net/http's limit, in one piece and in parts.
func TestLongHeadIsServedHere(t *testing.T) {
	e := start(t, nil)
	req := get("/hot/long", "X-Pad: "+strings.Repeat("p", 3*fastpath.ReadBuffer)+"\r\n")
	c, br := dial(t, e.addr)
	if _, err := io.WriteString(c, req+get("/hot/after")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(req); i += 1000 {
		if _, err := io.WriteString(c, req[i:min(i+1000, len(req))]); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"GET /hot/long", "GET /hot/after", "GET /hot/long"} {
		if _, body := read(t, br); body != want {
			t.Errorf("got %q, want %q", body, want)
		}
	}
	if n := e.h.served.Load(); n != 3 {
		t.Errorf("served %d here, want 3", n)
	}
}

// closed reads from br until the server closes the connection and
// returns what it sent.
func closed(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	b, err := io.ReadAll(br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server did not close the connection")
	}
	return string(b)
}

// TestPanicClosesThatConnectionOnly checks that a handler's panic costs
// its connection, not the server.
func TestPanicClosesThatConnectionOnly(t *testing.T) {
	e := start(t, nil)
	c, br := dial(t, e.addr)
	if _, err := io.WriteString(c, get("/hot/panic")); err != nil {
		t.Fatal(err)
	}
	if got := closed(t, br); got != "" {
		t.Errorf("after a panic the server sent %q", got)
	}
	c2, br2 := dial(t, e.addr)
	if _, err := io.WriteString(c2, get("/hot/after")); err != nil {
		t.Fatal(err)
	}
	if _, body := read(t, br2); body != "GET /hot/after" {
		t.Errorf("after a panic got %q", body)
	}
}

// TestShutdown closes idle connections, a connection between requests
// with part of the next head and a new one with nothing sent; lets a
// request in net/http's hands and answers being written to a slow reader
// finish; and refuses new connections.
func TestShutdown(t *testing.T) {
	e := start(t, nil)
	idle, idleR := dial(t, e.addr)
	if _, err := io.WriteString(idle, get("/hot/a")); err != nil {
		t.Fatal(err)
	}
	read(t, idleR)
	midHead, midHeadR := dial(t, e.addr)
	if _, err := io.WriteString(midHead, get("/hot/m")+"GET /hot/n HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}
	read(t, midHeadR)
	_, fresh := dial(t, e.addr)
	busy, busyR := dial(t, e.addr)
	if _, err := io.WriteString(busy, get("/hot/b")+get("/slow")); err != nil {
		t.Fatal(err)
	}
	if _, body := read(t, busyR); body != "GET /hot/b" {
		t.Fatalf("got %q", body)
	}
	<-e.slow // net/http has the request
	// A reader that reads nothing yet, with answers larger than the
	// socket buffers pending: the server is blocked writing them.
	slowReader, slowR := dial(t, e.addr)
	_ = slowReader.(*net.TCPConn).SetReadBuffer(32 << 10)
	_ = slowReader.SetDeadline(time.Now().Add(time.Minute))
	const pending = 8
	if _, err := io.WriteString(slowReader, strings.Repeat(get("/hot/big"), pending)); err != nil {
		t.Fatal(err)
	}
	for e.h.served.Load() < 4 { // the answers are being written
		time.Sleep(time.Millisecond)
	}

	shut := make(chan error, 1)
	go func() { shut <- e.s.Shutdown(context.Background()) }()
	for _, r := range []*bufio.Reader{idleR, midHeadR, fresh} {
		if got := closed(t, r); got != "" {
			t.Errorf("a connection closed by the shutdown was sent %q", got)
		}
	}
	if _, err := net.DialTimeout("tcp", e.addr, time.Second); err == nil {
		t.Errorf("a new connection was accepted during shutdown")
	}
	// The slow reader gets whole answers, at least up to the one the
	// shutdown found being written, then the connection closes.
	n := 0
	for {
		if _, err := slowR.Peek(1); errors.Is(err, io.EOF) {
			break // closed between answers
		}
		res, err := http.ReadResponse(slowR, nil)
		if err != nil {
			t.Errorf("after %d whole answers the slow reader got %v", n, err)
			break
		}
		b, err := io.ReadAll(res.Body)
		if err != nil || string(b) != answer("GET", "/hot/big", "") {
			t.Fatalf("answer %d cut after %d bytes: %v", n, len(b), err)
		}
		n++
	}
	if n == 0 {
		t.Errorf("the slow reader got no answer")
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(e.release)
	if _, body := read(t, busyR); body != "GET /slow" {
		t.Errorf("the request in flight got %q", body)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestShutdownGivesUpWithItsContext returns the context's error while a
// request handed to net/http is in flight.
func TestShutdownGivesUpWithItsContext(t *testing.T) {
	e := start(t, nil)
	busy, _ := dial(t, e.addr)
	if _, err := io.WriteString(busy, get("/slow")); err != nil {
		t.Fatal(err)
	}
	<-e.slow
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v, want context.Canceled", err)
	}
}
