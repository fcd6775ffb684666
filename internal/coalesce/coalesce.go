// Package coalesce makes each HTTP/1.1 response leave the process in one
// write.
//
// net/http writes a response through a 4 KiB buffer, so a response of
// headers and a body that together pass 4 KiB (a gzipped badge of 3.7 KiB
// is one) takes two write system calls and two TCP segments, and at a few
// tens of thousands of requests a second those writes are the largest
// cost of serving from memory. A Conn instead keeps what is written until
// the server next does something that may wait for the client or ends the
// response — a read, a deadline change, a close — and then sends it all
// with one call. net/http clears the write deadline after every response
// and reads before waiting on a client (for the next request, for a request
// body after "100 Continue"), so no byte waits for a peer that waits for it.
//
// net/http also reads in the background while a handler runs, to notice a
// client that goes away; that read sends what is held too. On one core it
// runs once the response is complete; on several it may run in the middle
// of one, which then leaves in two writes, as before.
//
// A handler that streams with http.Flusher does not get its chunks sent at
// each Flush: they go out in batches of MaxPending bytes, or when the
// response ends. None of oabadge's handlers streams.
package coalesce

import (
	"io"
	"net"
	"sync"
	"time"
)

// MaxPending is how many bytes a Conn holds at most; a write that would
// pass it sends what is held and the new bytes together.
const MaxPending = 32 << 10

// Listener wraps every connection it accepts in a Conn.
type Listener struct{ net.Listener }

// NewListener returns ln with its connections wrapped.
func NewListener(ln net.Listener) *Listener { return &Listener{ln} }

// Wrap is NewListener as a func(net.Listener) net.Listener.
func Wrap(ln net.Listener) net.Listener { return NewListener(ln) }

// Accept implements net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &Conn{Conn: c}, nil
}

// Conn holds writes until a read, a deadline change or a close. It is safe
// for one reader and one writer at a time, as net/http uses a connection
// (its background read of the next request runs beside the handler).
type Conn struct {
	net.Conn
	mu      sync.Mutex
	pending *[]byte // nil when nothing is held
	err     error   // the first failed write: every later one fails too
}

// Buffers held between a response's first write and its flush; pooled, so
// an idle connection keeps none.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// Write holds p, or sends it with what is held when together they pass
// MaxPending.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if c.pending == nil {
		if len(p) > MaxPending {
			n, err := c.Conn.Write(p)
			c.fail(err)
			return n, err
		}
		c.pending = bufs.Get().(*[]byte)
	}
	held := len(*c.pending)
	if held+len(p) <= MaxPending {
		*c.pending = append(*c.pending, p...)
		return len(p), nil
	}
	v := net.Buffers{*c.pending, p} // writev on a TCP connection
	n, err := v.WriteTo(c.Conn)
	c.release()
	c.fail(err)
	return max(int(n)-held, 0), err
}

// Flush sends what is held.
func (c *Conn) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flushLocked()
}

func (c *Conn) flushLocked() error {
	if c.err != nil {
		return c.err
	}
	if c.pending == nil {
		return nil
	}
	_, err := c.Conn.Write(*c.pending)
	c.release()
	c.fail(err)
	return err
}

func (c *Conn) release() {
	*c.pending = (*c.pending)[:0]
	if cap(*c.pending) <= MaxPending {
		bufs.Put(c.pending)
	}
	c.pending = nil
}

func (c *Conn) fail(err error) {
	if err != nil && c.err == nil {
		c.err = err
	}
}

// Read sends what is held first: the peer may be waiting for it before it
// sends anything more.
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.Flush(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// ReadFrom sends what is held, then lets the connection copy from r (with
// sendfile or splice when it can).
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if err := c.Flush(); err != nil {
		return 0, err
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		n, err := rf.ReadFrom(r)
		if err != nil {
			c.mu.Lock()
			c.fail(err)
			c.mu.Unlock()
		}
		return n, err
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// SetDeadline sends what is held under the deadline in force, then sets t.
func (c *Conn) SetDeadline(t time.Time) error {
	_ = c.Flush()
	return c.Conn.SetDeadline(t)
}

// SetWriteDeadline sends what is held under the deadline in force, then
// sets t. net/http clears the write deadline when a response is done, so
// this is where a response leaves.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	_ = c.Flush()
	return c.Conn.SetWriteDeadline(t)
}

// CloseWrite sends what is held and shuts the writing side, when the
// connection has one (TCP does).
func (c *Conn) CloseWrite() error {
	_ = c.Flush()
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close sends what is held and closes the connection.
func (c *Conn) Close() error {
	_ = c.Flush()
	c.mu.Lock()
	if c.err == nil {
		c.err = net.ErrClosed
	}
	c.mu.Unlock()
	return c.Conn.Close()
}
