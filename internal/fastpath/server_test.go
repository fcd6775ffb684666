package fastpath_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/fastpath"
)

// hot answers GET /hot/NAME itself with "fast NAME", declines everything
// else, and panics on /hot/panic.
type hot struct{ served atomic.Int64 }

func (h *hot) ServeFast(w []byte, r *fastpath.Request) ([]byte, bool) {
	name, ok := strings.CutPrefix(r.Path, "/hot/")
	if !ok {
		return w, false
	}
	if name == "panic" {
		panic("handler panics")
	}
	h.served.Add(1)
	body := "fast " + name
	if ref, _ := r.Header("Referer"); ref != "" {
		body += " from " + ref
	}
	w = append(w, "HTTP/1.1 200 OK\r\nContent-Length: "...)
	w = append(w, byte('0'+len(body)/10), byte('0'+len(body)%10))
	w = append(w, "\r\n\r\n"...)
	return append(w, body...), true
}

// env is a fastpath.Server over a net/http server that answers
// "net/http METHOD PATH"; on /slow it first tells slow and waits until
// release is closed.
type env struct {
	addr    string
	s       *fastpath.Server
	h       *hot
	slow    chan struct{}
	release chan struct{}
}

func start(t *testing.T, mod func(*http.Server)) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{addr: ln.Addr().String(), h: &hot{}, slow: make(chan struct{}, 16), release: make(chan struct{})}
	hs := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				e.slow <- struct{}{}
				<-e.release
			}
			_, _ = io.WriteString(w, "net/http "+r.Method+" "+r.URL.Path)
		}),
	}
	if mod != nil {
		mod(hs)
	}
	e.s = &fastpath.Server{Handler: e.h, Fallback: hs}
	done := make(chan error, 1)
	go func() { done <- e.s.Serve(ln) }()
	t.Cleanup(func() {
		select {
		case <-e.release:
		default:
			close(e.release)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.s.Shutdown(ctx)
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

// fastAnswer is what hot answers to /hot/NAME.
func fastAnswer(name string) string {
	return "HTTP/1.1 200 OK\r\nContent-Length: " + fmt.Sprintf("%02d", len("fast "+name)) + "\r\n\r\nfast " + name
}

func get(path string, extra ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: h\r\n" + strings.Join(extra, "") + "\r\n"
}

// TestAnswersInOrderAcrossTheHandOver pipelines requests the handler
// takes and one it does not: each gets its answer, in order, and from the
// first declined one on, net/http answers.
func TestAnswersInOrderAcrossTheHandOver(t *testing.T) {
	e := start(t, nil)
	addr, h := e.addr, e.h
	c, br := dial(t, addr)
	if _, err := io.WriteString(c, get("/hot/1", "Referer: https://a.gov.vn/\r\n")+get("/hot/2")+get("/cold")+get("/hot/3")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fast 1 from https://a.gov.vn/", "fast 2", "net/http GET /cold", "net/http GET /hot/3"} {
		if _, body := read(t, br); body != want {
			t.Errorf("got %q, want %q", body, want)
		}
	}
	// The connection stays open, with net/http.
	if _, err := io.WriteString(c, get("/hot/4")); err != nil {
		t.Fatal(err)
	}
	if _, body := read(t, br); body != "net/http GET /hot/4" {
		t.Errorf("after the hand-over got %q", body)
	}
	if n := h.served.Load(); n != 2 {
		t.Errorf("the handler served %d requests, want 2", n)
	}
}

// TestWhatItDoesNotTakeReachesNetHTTPWhole sends requests the parser
// leaves alone, alone and after one it takes: net/http gets every byte.
func TestWhatItDoesNotTakeReachesNetHTTPWhole(t *testing.T) {
	addr := start(t, nil).addr
	tooLong := get("/hot/long", "X-Pad: "+strings.Repeat("p", http.DefaultMaxHeaderBytes+4096)+"\r\n")
	for _, c := range []struct {
		name, req string
		status    int
		body      string
	}{
		{"POST with a body", "POST /hot/x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", 200, "net/http POST /hot/x"},
		{"bare LF", "GET /hot/x HTTP/1.1\nHost: h\n\n", 200, "net/http GET /hot/x"},
		{"escaped path", get("/hot/%78"), 200, "net/http GET /hot/x"},
		{"head longer than net/http reads", tooLong, 431, ""},
		{"no Host", "GET /hot/x HTTP/1.1\r\n\r\n", 400, ""},
		{"two Hosts", "GET /hot/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, ""},
		{"NUL in a value", get("/hot/x", "X: a\x00b\r\n"), 400, ""},
	} {
		for _, after := range []bool{false, true} {
			name := c.name
			if after {
				name += " after a fast one"
			}
			t.Run(name, func(t *testing.T) {
				conn, br := dial(t, addr)
				req := c.req
				if after {
					req = get("/hot/0") + req
				}
				if _, err := io.WriteString(conn, req); err != nil {
					t.Fatal(err)
				}
				if after {
					if _, body := read(t, br); body != "fast 0" {
						t.Fatalf("first answer %q, want fast 0", body)
					}
				}
				status, body := read(t, br)
				if status != c.status || (c.body != "" && body != c.body) {
					t.Errorf("got %d %q, want %d %q", status, body, c.status, c.body)
				}
			})
		}
	}
}

// TestHeadInPieces sends a request a few bytes at a time: it is answered
// here once whole.
func TestHeadInPieces(t *testing.T) {
	e := start(t, nil)
	addr, h := e.addr, e.h
	c, br := dial(t, addr)
	for _, req := range []string{get("/hot/a"), get("/hot/b", "Referer: https://b.gov.vn/\r\n")} {
		for i := 0; i < len(req); i += 7 {
			if _, err := io.WriteString(c, req[i:min(i+7, len(req))]); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
	}
	for _, want := range []string{"fast a", "fast b from https://b.gov.vn/"} {
		if _, body := read(t, br); body != want {
			t.Errorf("got %q, want %q", body, want)
		}
	}
	if h.served.Load() != 2 {
		t.Errorf("served %d here, want 2", h.served.Load())
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

// closedUnanswered fails if the server answered before closing.
func closedUnanswered(t *testing.T, br *bufio.Reader) {
	t.Helper()
	if b := closed(t, br); b != "" {
		t.Errorf("the server answered %q", b)
	}
}

const badRequest = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"

// TestLongHeadIsServedHere sends a head of 12 KiB, more than the read
// buffer and less than net/http's limit, in one piece and in parts.
func TestLongHeadIsServedHere(t *testing.T) {
	e := start(t, nil)
	addr, h := e.addr, e.h
	req := get("/hot/long", "X-Pad: "+strings.Repeat("p", 3*fastpath.ReadBuffer)+"\r\n")
	c, br := dial(t, addr)
	if _, err := io.WriteString(c, req+get("/hot/after")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(req); i += 1000 {
		if _, err := io.WriteString(c, req[i:min(i+1000, len(req))]); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"fast long", "fast after", "fast long"} {
		if _, body := read(t, br); body != want {
			t.Errorf("got %q, want %q", body, want)
		}
	}
	if h.served.Load() != 3 {
		t.Errorf("served %d here, want 3", h.served.Load())
	}
}

// TestSlowHeadIsCut trickles a head slower than ReadHeaderTimeout allows:
// on a new connection, on one that served a request, and behind a request
// answered from the same read (whose partial successor must not inherit
// the idle timeout). Each is cut with net/http's 400, as net/http cuts a
// head it has part of.
func TestSlowHeadIsCut(t *testing.T) {
	addr := start(t, func(hs *http.Server) { hs.ReadHeaderTimeout = 200 * time.Millisecond }).addr
	for _, c := range []struct {
		name          string
		before, first string // sent and answered before; sent with the trickle's start
	}{
		{"new connection", "", ""},
		{"after a request", get("/hot/a"), ""},
		{"behind a request", "", get("/hot/a")},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, br := dial(t, addr)
			if c.before != "" {
				if _, err := io.WriteString(conn, c.before); err != nil {
					t.Fatal(err)
				}
				read(t, br)
			}
			req := get("/hot/slow")
			if _, err := io.WriteString(conn, c.first+req[:5]); err != nil {
				t.Fatal(err)
			}
			if c.first != "" {
				read(t, br)
			}
			stop := make(chan struct{})
			defer close(stop)
			go func() { // a byte every 50 ms, until the connection breaks
				for i := 5; i < len(req)-1; i++ {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
					if _, err := io.WriteString(conn, req[i:i+1]); err != nil {
						return
					}
				}
			}()
			if got := closed(t, br); got != badRequest {
				t.Errorf("got %q, want net/http's 400", got)
			}
		})
	}
}

// TestAHeadCutShortGetsNetHTTPsAnswer closes the client's side in the
// middle of a head: net/http answers 400 to what it has.
func TestAHeadCutShortGetsNetHTTPsAnswer(t *testing.T) {
	addr := start(t, nil).addr
	for _, c := range []struct{ name, send, want string }{
		{"first request", "GE", badRequest},
		{"first request, more", "GET /hot/a HTTP/1.1\r\nHost: h\r\n", badRequest},
		{"after a fast one", get("/hot/a") + "GET /hot/b HTTP/1.1\r\n", fastAnswer("a") + badRequest},
		// Less than net/http's four-byte peek of a next request: closed.
		{"three bytes after a fast one", get("/hot/a") + "GET", fastAnswer("a")},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, br := dial(t, addr)
			if _, err := io.WriteString(conn, c.send); err != nil {
				t.Fatal(err)
			}
			if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			if got := closed(t, br); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestAFewBytesWaitUnderTheIdleTimeout sends less than four bytes of a
// next request and waits longer than ReadHeaderTimeout before the rest:
// net/http waits for four bytes under IdleTimeout, so this is answered.
func TestAFewBytesWaitUnderTheIdleTimeout(t *testing.T) {
	addr := start(t, func(hs *http.Server) { hs.ReadHeaderTimeout = 100 * time.Millisecond }).addr
	conn, br := dial(t, addr)
	if _, err := io.WriteString(conn, get("/hot/a")+"GE"); err != nil {
		t.Fatal(err)
	}
	read(t, br)
	time.Sleep(300 * time.Millisecond)
	if _, err := io.WriteString(conn, get("/hot/b")[2:]); err != nil {
		t.Fatal(err)
	}
	if _, body := read(t, br); body != "fast b" {
		t.Errorf("got %q", body)
	}
}

// TestIdleConnectionIsClosed leaves a connection idle after a request
// for longer than IdleTimeout.
func TestIdleConnectionIsClosed(t *testing.T) {
	addr := start(t, func(hs *http.Server) { hs.IdleTimeout = 100 * time.Millisecond }).addr
	c, br := dial(t, addr)
	if _, err := io.WriteString(c, get("/hot/a")); err != nil {
		t.Fatal(err)
	}
	read(t, br)
	closedUnanswered(t, br)
}

// TestPanicClosesThatConnectionOnly checks that a handler's panic costs
// its connection, not the server.
func TestPanicClosesThatConnectionOnly(t *testing.T) {
	addr := start(t, func(hs *http.Server) { hs.ErrorLog = nil }).addr
	c, br := dial(t, addr)
	if _, err := io.WriteString(c, get("/hot/panic")); err != nil {
		t.Fatal(err)
	}
	closedUnanswered(t, br)
	c2, br2 := dial(t, addr)
	if _, err := io.WriteString(c2, get("/hot/after")); err != nil {
		t.Fatal(err)
	}
	if _, body := read(t, br2); body != "fast after" {
		t.Errorf("after a panic got %q", body)
	}
}

// TestShutdown closes idle connections, lets a request in net/http's
// hands finish, and refuses new connections.
func TestShutdown(t *testing.T) {
	e := start(t, nil)
	addr, s := e.addr, e.s
	idle, idleR := dial(t, addr)
	if _, err := io.WriteString(idle, get("/hot/a")); err != nil {
		t.Fatal(err)
	}
	read(t, idleR)
	// Between requests with part of the next head: idle to net/http too.
	midHead, midHeadR := dial(t, addr)
	if _, err := io.WriteString(midHead, get("/hot/m")+"GET /hot/n HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}
	read(t, midHeadR)
	busy, busyR := dial(t, addr)
	if _, err := io.WriteString(busy, get("/hot/b")+get("/slow")); err != nil {
		t.Fatal(err)
	}
	if _, body := read(t, busyR); body != "fast b" {
		t.Fatalf("got %q", body)
	}
	<-e.slow // net/http has the request
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	closedUnanswered(t, idleR)
	closedUnanswered(t, midHeadR)
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("a new connection was accepted during shutdown")
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(e.release)
	if _, body := read(t, busyR); body != "net/http GET /slow" {
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
	addr, s := e.addr, e.s
	busy, _ := dial(t, addr)
	if _, err := io.WriteString(busy, get("/slow")); err != nil {
		t.Fatal(err)
	}
	<-e.slow
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v, want context.Canceled", err)
	}
}
