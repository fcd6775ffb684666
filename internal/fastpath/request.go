package fastpath

import (
	"bytes"
	"net"
	"time"
	"unsafe"

	"golang.org/x/net/http/httpguts"
)

// maxFields is how many header lines a request taken here may have;
// browsers send about fifteen. One with more goes to net/http.
const maxFields = 40

// Request is a GET request read by the fast path. Its strings are views of
// the connection's buffer, valid only until the Handler returns: a
// handler that keeps one (as a map key, in a struct) must copy it with
// strings.Clone.
type Request struct {
	// Path is the request target up to '?'. It has no '%' escapes, so it
	// is also what net/http would decode it to.
	Path string
	// RawQuery is what follows the first '?', without it.
	RawQuery string
	// RemoteAddr is the peer's address, "ip:port", as net/http gives it,
	// and RemoteIP its host part.
	RemoteAddr, RemoteIP string
	// Start is when the request's head had been read.
	Start time.Time
	done  time.Time // set by AppendEnd

	fields [maxFields]field
	n      int
}

type field struct{ name, value string }

// Header returns the value of the first header line named name (matched
// without regard to case, as net/http's canonical keys are) and how many
// lines have that name.
func (r *Request) Header(name string) (first string, n int) {
	for i := range r.n {
		f := &r.fields[i]
		if equalFold(f.name, name) {
			if n == 0 {
				first = f.value
			}
			n++
		}
	}
	return first, n
}

// AppendEnd appends the Date header, stamped t, and the blank line that
// ends an answer's head, as net/http writes them after the other headers.
// t is then taken as the time the answer was made.
func (r *Request) AppendEnd(w []byte, t time.Time) []byte {
	r.done = t
	w = append(w, "Date: "...)
	w = AppendDate(w, t)
	return append(w, "\r\n\r\n"...)
}

// NewRequest reads head, a request head ending in its blank line, from a
// client at remoteAddr, as the Server does; false if the Server would hand
// it to net/http. It is for tests and benchmarks of a Handler.
func NewRequest(head []byte, remoteAddr string) (*Request, bool) {
	if headEnd(head) != len(head) {
		return nil, false
	}
	r := newRequest(remoteAddr)
	r.Start = time.Now()
	return r, parse(head, r)
}

// newRequest returns the Request a connection from remoteAddr reads its
// requests into.
func newRequest(remoteAddr string) *Request {
	r := &Request{RemoteAddr: remoteAddr}
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		r.RemoteIP = host
	}
	return r
}

// NumFields returns the number of header lines.
func (r *Request) NumFields() int { return r.n }

// Field returns header line i's name, as sent, and value.
func (r *Request) Field(i int) (name, value string) { return r.fields[i].name, r.fields[i].value }

// equalFold reports whether a and b are equal ignoring ASCII case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}

// headEnd returns the length of the request head at the start of b (up to
// and including the blank line), -1 when b does not hold all of it, or
// bareLF when a line in it ends in LF alone. net/http takes such heads
// (and one ending in a blank line of LF alone), parse does not: waiting for
// a CRLF CRLF that may never come would stall a request net/http answers.
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		j += i
		if j == 0 || b[j-1] != '\r' {
			return bareLF
		}
		if j >= 3 && b[j-2] == '\n' && b[j-3] == '\r' {
			return j + 1
		}
		i = j + 1
	}
}

const bareLF = -2

// str views b as a string without copying; see Request.
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// parse reads head, a whole request head ending with its blank line, into
// r. It accepts a strict subset of what net/http accepts and returns false
// for anything else: then net/http reads the same bytes and answers as it
// always does, so a request is never treated differently for having come
// this way. Taken are:
//
//   - "GET", an origin-form target of visible ASCII without '#', and
//     "HTTP/1.1", one space apart;
//   - no '%' in the path, so it needs no decoding;
//   - header lines "Name: value" ending in CRLF, with a token for a name
//     and a value of visible ASCII, spaces and tabs (no obs-fold, no
//     bytes above 0x7e, no bare CR or LF), at most maxFields of them;
//   - exactly one Host, a valid one;
//   - no body: no Content-Length or Transfer-Encoding; no Expect or
//     Upgrade; Connection, if given, only "keep-alive".
//
// Each line is judged alone (requestLine, headerLine), so a head can be
// judged line by line as it arrives (checker).
func parse(head []byte, r *Request) bool {
	r.n = 0
	line, rest, ok := nextLine(head)
	if !ok || !requestLine(line, r) {
		return false
	}
	hosts := 0
	for {
		line, rest, ok = nextLine(rest)
		if !ok {
			return false
		}
		if len(line) == 0 {
			return len(rest) == 0 && hosts == 1
		}
		name, value, host, ok := headerLine(line)
		if !ok || r.n == maxFields {
			return false
		}
		if host {
			if hosts++; hosts > 1 {
				return false
			}
		}
		r.fields[r.n] = field{str(name), str(value)}
		r.n++
	}
}

// nextLine splits b after its first line, which must end in CRLF; the line
// is returned without it.
func nextLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 1 || b[i-1] != '\r' {
		return nil, nil, false
	}
	return b[:i-1], b[i+1:], true
}

// requestLine judges a request line (without its CRLF) and, when r is not
// nil, sets r's Path and RawQuery from it.
func requestLine(b []byte, r *Request) bool {
	if len(b) < 4 || string(b[:4]) != "GET " {
		return false
	}
	b = b[4:]
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 || b[0] != '/' || string(b[sp+1:]) != "HTTP/1.1" {
		return false
	}
	target := b[:sp]
	q := -1
	for i, c := range target {
		switch {
		case c < 0x21 || c > 0x7e || c == '#':
			return false
		case c == '?' && q < 0:
			q = i
		case c == '%' && q < 0:
			return false
		}
	}
	if r != nil {
		if q >= 0 {
			r.Path, r.RawQuery = str(target[:q]), str(target[q+1:])
		} else {
			r.Path, r.RawQuery = str(target), ""
		}
	}
	return true
}

// headerLine judges a header line (without its CRLF) and returns its name
// and value (without the spaces around it), and whether it is a Host line.
func headerLine(b []byte) (name, value []byte, host, ok bool) {
	colon := -1
	for i, c := range b {
		if c == ':' {
			colon = i
			break
		}
		if !httpguts.IsTokenRune(rune(c)) {
			return nil, nil, false, false
		}
	}
	if colon <= 0 {
		return nil, nil, false, false
	}
	name, value = b[:colon], b[colon+1:]
	for _, c := range value {
		if (c < 0x20 && c != '\t') || c > 0x7e {
			return nil, nil, false, false
		}
	}
	value = bytes.Trim(value, " \t")
	switch len(name) {
	case 4:
		if equalFold(str(name), "host") {
			return name, value, true, httpguts.ValidHostHeader(str(value))
		}
	case 6:
		ok = !equalFold(str(name), "expect")
	case 7:
		ok = !equalFold(str(name), "upgrade")
	case 10:
		ok = !equalFold(str(name), "connection") || equalFold(str(value), "keep-alive")
	case 14:
		ok = !equalFold(str(name), "content-length")
	case 17:
		ok = !equalFold(str(name), "transfer-encoding")
	default:
		ok = true
	}
	return name, value, false, ok
}

// checker judges a head line by line while it arrives, so that a request
// the fast path will not take goes to net/http as soon as a line shows it,
// as soon as net/http would have judged it had it been reading.
type checker struct {
	off   int // the head's bytes judged so far: whole lines
	lines int // of them, the lines
	hosts int
}

// ok judges the whole lines of head (the bytes of a head so far, starting
// where the previous call's did) not yet judged, and reports whether the
// fast path may still take it.
func (c *checker) ok(head []byte) bool {
	for {
		line, _, whole := nextLine(head[c.off:])
		if !whole {
			// An unfinished line, or one ending in LF alone.
			i := bytes.IndexByte(head[c.off:], '\n')
			return i < 0
		}
		switch {
		case c.lines == 0:
			if !requestLine(line, nil) {
				return false
			}
		case len(line) == 0:
			return true // the head is whole: parse judges it
		default:
			_, _, host, ok := headerLine(line)
			if host {
				c.hosts++
			}
			if !ok || c.hosts > 1 || c.lines > maxFields {
				return false
			}
		}
		c.off += len(line) + 2
		c.lines++
	}
}
