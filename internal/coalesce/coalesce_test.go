package coalesce_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/coalesce"
)

// counting counts the writes that reach the connection under a Conn.
type counting struct {
	net.Listener
	writes atomic.Int64
}

func (l *counting) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{c, l}, nil
}

type countingConn struct {
	net.Conn
	l *counting
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.l.writes.Add(1)
	return c.Conn.Write(p)
}

func (c *countingConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

// serve starts an HTTP server on a coalescing listener over a counting one.
// Its handler answers /n/N with N bytes (a pattern), HEAD too, and /echo
// with the request body; ?close asks to close the connection after.
func serve(t *testing.T) (string, *counting) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &counting{Listener: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("/n/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		w.Header().Set("Content-Length", strconv.Itoa(n))
		if r.URL.Query().Has("close") {
			w.Header().Set("Connection", "close")
		}
		_, _ = w.Write(body(n))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	})
	hs := &http.Server{Handler: mux, WriteTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(coalesce.NewListener(cl)) }()
	t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr().String(), cl
}

func body(n int) []byte { return bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n] }

// dial opens a raw connection that fails a test stuck for a minute rather
// than hanging it.
func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	return c, bufio.NewReader(c)
}

func read(t *testing.T, br *bufio.Reader, method string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return res, b
}

// TestOneWritePerResponse sends requests on one connection and reads each
// answer whole: every response up to MaxPending leaves in one write,
// whatever its size against net/http's 4 KiB buffer. It runs on one core,
// as the load test does: on several, net/http's background read of the
// next request may run in the middle of a response and send what is held
// so far (see the package comment).
func TestOneWritePerResponse(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	addr, cl := serve(t)
	c, br := dial(t, addr)
	for _, tc := range []struct {
		method string
		n      int
		writes int64
	}{
		{"GET", 0, 1}, {"GET", 100, 1}, {"GET", 3721, 1}, {"GET", 4090, 1}, {"GET", 9000, 1},
		{"HEAD", 3721, 1}, {"GET", coalesce.MaxPending + 1, 2}, {"GET", 5 * coalesce.MaxPending, 3},
	} {
		before := cl.writes.Load()
		if _, err := io.WriteString(c, tc.method+" /n/"+strconv.Itoa(tc.n)+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		res, b := read(t, br, tc.method)
		want := body(tc.n)
		if tc.method == "HEAD" {
			want = nil
		}
		if res.StatusCode != 200 || !bytes.Equal(b, want) {
			t.Fatalf("%s /n/%d: status %d, %d bytes, want 200 and the %d bytes sent", tc.method, tc.n, res.StatusCode, len(b), len(want))
		}
		if got := cl.writes.Load() - before; tc.writes <= 1 && got != tc.writes || got > tc.writes {
			t.Errorf("%s /n/%d took %d writes, want %d at most", tc.method, tc.n, got, tc.writes)
		}
	}
}

// TestPipelined sends two requests at once; both answers arrive.
func TestPipelined(t *testing.T) {
	addr, _ := serve(t)
	c, br := dial(t, addr)
	if _, err := io.WriteString(c, "GET /n/5000 HTTP/1.1\r\nHost: x\r\n\r\nGET /n/7 HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{5000, 7} {
		if _, b := read(t, br, "GET"); !bytes.Equal(b, body(n)) {
			t.Errorf("pipelined /n/%d: got %d bytes", n, len(b))
		}
	}
}

// TestContinue waits for "100 Continue" before sending a body: the interim
// answer is not held while the server waits for that body.
func TestContinue(t *testing.T) {
	addr, _ := serve(t)
	c, br := dial(t, addr)
	if _, err := io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("waiting for 100 Continue: %q, %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil { // the blank line ending it
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "hello"); err != nil {
		t.Fatal(err)
	}
	if _, b := read(t, br, "POST"); string(b) != "hello" {
		t.Errorf("echo answered %q", b)
	}
}

// TestClose reads a response after which the server closes the
// connection: it is sent before the close.
func TestClose(t *testing.T) {
	addr, _ := serve(t)
	c, br := dial(t, addr)
	if _, err := io.WriteString(c, "GET /n/3721?close HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if res, b := read(t, br, "GET"); !res.Close || !bytes.Equal(b, body(3721)) {
		t.Errorf("closing response: close %v, %d bytes", res.Close, len(b))
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after the closing response: %v, want EOF", err)
	}
}

// TestWriteErrorSticks: once a flush fails, the connection reports it to
// every later write and read, so the server drops it.
func TestWriteErrorSticks(t *testing.T) {
	a, b := net.Pipe()
	c := &coalesce.Conn{Conn: a}
	if _, err := c.Write([]byte("held")); err != nil {
		t.Fatalf("a held write failed: %v", err)
	}
	_ = b.Close()
	if err := c.Flush(); err == nil {
		t.Fatal("flushing to a closed peer succeeded")
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("a write after a failed flush succeeded")
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("a read after a failed flush succeeded")
	}
}
