// Package fastpath answers the requests its Handler can answer from memory
// straight off the connection, and hands every other connection, with the
// bytes already read from it, to a net/http Server.
//
// A cached badge is a few kilobytes written from memory, so net/http's own
// work is most of its cost: its background read (an extra system call and
// goroutine switch per request), the header map it builds and sorts, the
// request's context. Measured on one core beside nginx, net/http serving
// prebuilt bytes and nothing else reached about half of nginx's requests
// a second; this loop, one read and one write per request, passes nginx.
//
// What it takes is deliberately narrow (see parse): a GET in the plainest
// form browsers send, on HTTP/1.1. Anything else — another method, an
// escaped path, a body, an odd header, a head longer than net/http reads,
// a request the Handler declines (a badge not in the cache, an unknown
// path) — and the connection goes to net/http with every byte it sent,
// which then serves it to the end as if it had accepted it itself. So
// net/http's rules on what is a valid request stay the only ones: a
// request is either taken here, as net/http would have taken it, or not at
// all. Timeouts and shutdown follow net/http's too (see Server.serve). The
// tests check all this by sending the same bytes to the whole program with
// and without this package and comparing the answers.
//
// What still differs, found by comparing the two byte for byte: a head
// between MaxHeaderBytes + 4 KiB and 4 KiB more, after a first request, is
// refused (431) or taken depending on how net/http's 4 KiB reader happened
// to fill, which a hand-over changes (net/http alone moves its own limit
// within that range); when a write blocks on a slow reader of hundreds of
// pipelined answers, the next timers may start at slightly other moments;
// the same trailing bytes may end in a FIN on one and a reset on the
// other; and on shutdown a new connection that has not sent a whole first
// request is closed at once, where net/http keeps it up to 5 s and then
// drops its request anyway.
//
// valyala/fasthttp would parse faster still, but it cannot hand a
// connection to net/http half-way, and every other route (the console, the
// API, the pages) is Echo on net/http.
package fastpath

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Handler answers requests from memory.
type Handler interface {
	// ServeFast appends to w the whole response to r (status line, headers
	// and body) and returns it, or returns w and false to let net/http
	// serve the request. It must not block: it runs on the connection's
	// goroutine, between reading a request and writing its answer.
	ServeFast(w []byte, r *Request) ([]byte, bool)
}

// Server serves connections for its Handler and hands them to its
// Fallback. Fallback's ReadHeaderTimeout, IdleTimeout, WriteTimeout and
// MaxHeaderBytes apply here too, as net/http applies them.
type Server struct {
	Handler  Handler
	Fallback *http.Server
	// WrapFallback, when set, wraps the listener Fallback serves: the
	// connections handed to it.
	WrapFallback func(net.Listener) net.Listener

	mu       sync.Mutex
	ln       net.Listener
	q        *queue
	conns    map[*conn]struct{}
	shutdown atomic.Bool
}

// Buffer sizes: a connection reads request heads into ReadBuffer bytes
// (net/http's bufio.Reader has 4 KiB too), grown for a longer head up to
// what net/http would read of one. Answers are collected in a buffer taken
// from a pool for the time between a request and the write.
const (
	ReadBuffer = 4 << 10
	maxPending = 64 << 10 // responses to pipelined requests held before a write
)

var (
	readBufs = sync.Pool{New: func() any { b := make([]byte, ReadBuffer); return &b }}
	outBufs  = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}
)

// Serve accepts connections on ln until Shutdown, and serves Fallback on
// the connections handed to it. It returns http.ErrServerClosed after
// Shutdown, or the listener's error.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutdown.Load() || s.ln != nil {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.ln, s.q, s.conns = ln, newQueue(ln.Addr()), map[*conn]struct{}{}
	var fl net.Listener = s.q
	if s.WrapFallback != nil {
		fl = s.WrapFallback(fl)
	}
	s.mu.Unlock()
	go func() { _ = s.Fallback.Serve(fl) }() // returns when fl closes

	var delay time.Duration // after a failed Accept, as net/http waits
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutdown.Load() {
				return http.ErrServerClosed
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) ||
				errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.ECONNABORTED) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logf("fastpath: accept error: %v; retrying in %v", err, delay)
				time.Sleep(delay)
				continue
			}
			s.q.close()
			return err
		}
		delay = 0
		go s.serve(nc)
	}
}

// Shutdown stops accepting and closes every connection not in the middle
// of writing an answer, as net/http's Shutdown does; a request whose head
// is completed after it began is not answered (net/http drops those too).
// It shuts Fallback down with ctx at the same time, and returns when both
// are done, or ctx's error if ctx ends first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Store(true)
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return s.Fallback.Shutdown(ctx)
	}
	_ = ln.Close()
	fallback := make(chan error, 1)
	go func() { fallback <- s.Fallback.Shutdown(ctx) }()
	wait := time.Millisecond
	for s.closeIdle() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
	return <-fallback
}

// closeIdle closes the connections not writing an answer and returns how
// many connections are left.
func (s *Server) closeIdle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if !c.busy.Load() {
			_ = c.nc.Close()
		}
	}
	return len(s.conns)
}

func (s *Server) logf(format string, args ...any) {
	if l := s.Fallback.ErrorLog; l != nil {
		l.Printf(format, args...)
	}
}

// track adds or removes c; it refuses to add during shutdown.
func (s *Server) track(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.conns, c)
		return true
	}
	if s.shutdown.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// conn is one connection served here.
type conn struct {
	nc   net.Conn
	busy atomic.Bool // from a whole head to the end of its answer
}

// serve reads requests from nc and answers those the Handler takes. At the
// first it does not, it hands nc to Fallback with the bytes read so far;
// when a read fails in the middle of a head, with the error too, so that
// net/http meets the same end of the same bytes and answers (or not) as it
// would have.
//
// Its timeouts are net/http's, set at the same moments: the first head
// must be whole ReadHeaderTimeout after the accept; between requests the
// connection may stay IdleTimeout without sending four bytes (net/http
// peeks four), and from then the head has ReadHeaderTimeout; an answer
// must be written WriteTimeout after its request was read. A head larger
// than net/http would read (MaxHeaderBytes + 4 KiB) goes to net/http,
// which refuses it.
//
// It reads the clock three times per request: when a read returns, when
// the Handler ends the answer (Request.AppendEnd) and when the answers
// held have been written.
func (s *Server) serve(nc net.Conn) {
	c := &conn{nc: nc}
	handed := false
	defer func() {
		if p := recover(); p != nil {
			s.logf("fastpath: panic serving %v: %v", nc.RemoteAddr(), p)
		}
		s.track(c, false)
		if !handed {
			_ = nc.Close()
		}
	}()
	if !s.track(c, true) {
		return
	}
	hs := s.Fallback
	small := readBufs.Get().(*[]byte)
	defer readBufs.Put(small)
	buf := *small
	limit := maxHeaderBytes(hs) + 4096
	var outp *[]byte // answers not yet written, from outBufs
	defer func() { release(outp) }()
	r := newRequest(nc.RemoteAddr().String())
	// write sends the answers held, under a deadline from the first's request.
	var writeBy time.Time
	write := func() error {
		if hs.WriteTimeout > 0 {
			if err := nc.SetWriteDeadline(writeBy); err != nil {
				return err
			}
		}
		_, err := nc.Write(*outp)
		release(outp)
		outp = nil
		return err
	}

	rd, wr := 0, 0 // the unread bytes are buf[rd:wr]
	now := time.Now()
	// The wait for the next head is idle until it has four bytes (since
	// idleSince, when the last answer was made; idleSet once its deadline
	// is set), then timed from readFrom: when net/http, which peeks four
	// bytes, would have begun to read it. The first head is timed from the
	// accept. Deadlines are set only before a read that may wait.
	timed, readFrom, idleSince, idleSet, headSet := true, now, time.Time{}, false, true
	// A head may be as long as net/http would read: MaxHeaderBytes and 4
	// KiB, more what its reader held of it before it began (pre).
	headLimit := limit
	startHead := func() { // four bytes of a next head are in
		timed, readFrom, headSet = true, now, false
		headLimit = limit + min(wr-rd, ReadBuffer)
	}
	var check checker // the lines of the head so far
	if d := headerTimeout(hs); d > 0 {
		if err := nc.SetReadDeadline(now.Add(d)); err != nil {
			return
		}
	}
	var readErr error // what ended the reads, to hand over with the bytes
	for {
		n := headEnd(buf[rd:wr])
		if n >= 0 {
			if !parse(buf[rd:rd+n], r) {
				break
			}
			c.busy.Store(true) // until its answer is written
			if s.shutdown.Load() {
				// net/http drops a request read during shutdown.
				if outp != nil {
					_ = write()
				}
				return
			}
			if outp == nil {
				outp = outBufs.Get().(*[]byte)
				if hs.WriteTimeout > 0 {
					writeBy = now.Add(hs.WriteTimeout)
				}
			}
			r.Start, r.done = now, time.Time{}
			out, ok := s.Handler.ServeFast(*outp, r)
			*outp = out
			if !ok {
				break
			}
			if now = r.done; now.IsZero() {
				now = time.Now()
			}
			rd += n
			timed, idleSince, idleSet, check = false, now, false, checker{}
			if wr-rd >= 4 {
				startHead()
			}
			if len(*outp) >= maxPending {
				if err := write(); err != nil {
					return
				}
			}
			continue
		}
		// Not a whole head. Once it is timed, a line parse refuses sends
		// it to net/http at once (which may answer it at once).
		if timed && (n == bareLF || !check.ok(buf[rd:wr])) {
			break
		}
		if rd > 0 {
			wr = copy(buf, buf[rd:wr])
			rd = 0
		}
		if wr == len(buf) {
			if len(buf) >= headLimit {
				break // too large: net/http says 431
			}
			bigger := make([]byte, min(2*len(buf), headLimit))
			copy(bigger, buf[:wr])
			buf = bigger
		}
		if outp != nil {
			if err := write(); err != nil {
				return
			}
			// net/http's timers for the next head start once the answers
			// are out, which may have waited for a slow reader.
			now = time.Now()
			if !timed {
				idleSince = now
			} else if !headSet {
				readFrom = now
			}
		}
		c.busy.Store(false)
		if s.shutdown.Load() {
			return
		}
		switch {
		case timed && !headSet:
			headSet = true
			if d := headerTimeout(hs); d > 0 {
				if err := nc.SetReadDeadline(readFrom.Add(d)); err != nil {
					return
				}
			}
		case !timed && !idleSet:
			idleSet = true
			var t time.Time
			if d := idleTimeout(hs); d > 0 {
				t = idleSince.Add(d)
			}
			if err := nc.SetReadDeadline(t); err != nil {
				return
			}
		}
		m, err := nc.Read(buf[wr:])
		now = time.Now()
		wr += m
		if !timed && wr >= 4 {
			startHead()
		}
		if err != nil {
			if !timed || wr == 0 {
				// Nothing, or less than net/http's peek of a next
				// request: it closes without a word.
				return
			}
			readErr = err
			break
		}
	}

	// Hand the connection over, after the answers so far.
	if outp != nil {
		if err := write(); err != nil {
			return
		}
	}
	if s.shutdown.Load() {
		return
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return
	}
	rc := &replayConn{Conn: nc, unread: bytes.Clone(buf[rd:wr]), err: readErr}
	if timed {
		rc.shift.Store(int64(time.Since(readFrom)))
	}
	handed = s.q.push(rc)
}

// release returns an answer buffer to the pool, unless it is nil or grew
// too large to keep.
func release(p *[]byte) {
	if p != nil && cap(*p) <= 4*maxPending {
		*p = (*p)[:0]
		outBufs.Put(p)
	}
}

// headerTimeout is how long net/http gives a client to send a request's head.
func headerTimeout(hs *http.Server) time.Duration {
	if hs.ReadHeaderTimeout != 0 {
		return hs.ReadHeaderTimeout
	}
	return hs.ReadTimeout
}

// maxHeaderBytes is net/http's limit on a request head.
func maxHeaderBytes(hs *http.Server) int {
	if hs.MaxHeaderBytes > 0 {
		return hs.MaxHeaderBytes
	}
	return http.DefaultMaxHeaderBytes
}

// idleTimeout is how long net/http keeps an idle connection.
func idleTimeout(hs *http.Server) time.Duration {
	if hs.IdleTimeout != 0 {
		return hs.IdleTimeout
	}
	return hs.ReadTimeout
}

// queue is the listener Fallback serves: it accepts the connections
// handed to it.
type queue struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newQueue(addr net.Addr) *queue {
	return &queue{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// push hands c over, or reports false once the queue is closed.
func (q *queue) push(c net.Conn) bool {
	select {
	case q.ch <- c:
		return true
	case <-q.done:
		return false
	}
}

func (q *queue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *queue) close() { q.once.Do(func() { close(q.done) }) }

func (q *queue) Close() error   { q.close(); return nil }
func (q *queue) Addr() net.Addr { return q.addr }

// replayConn is a connection whose first bytes were already read. Read
// returns them first, then the error that ended them, if any, for good (a
// read that failed mid-head would fail again, and net/http's reader must
// not read past it). Read deadlines are moved earlier by shift until the
// first answer is written: net/http times the head and body of a request
// from when it began to read it, which for this one was shift ago.
type replayConn struct {
	net.Conn
	unread []byte
	err    error
	shift  atomic.Int64 // a time.Duration; 0 once an answer is written
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.unread) > 0 {
		n := copy(p, c.unread)
		c.unread = c.unread[n:]
		return n, nil
	}
	if c.err != nil {
		return 0, c.err
	}
	return c.Conn.Read(p)
}

func (c *replayConn) Write(p []byte) (int, error) {
	c.shift.Store(0)
	return c.Conn.Write(p)
}

func (c *replayConn) SetReadDeadline(t time.Time) error {
	if d := time.Duration(c.shift.Load()); !t.IsZero() && d > 0 {
		t = t.Add(-d)
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *replayConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

// CloseWrite shuts the writing side, which net/http does before closing a
// connection it answered with an error, so the client reads the answer.
func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
