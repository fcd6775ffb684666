// Package logging builds oabadge's one slog logger from the configuration.
//
// Access logs write a line per request; written straight to a file or pipe
// that is a system call per request, a sizable share of serving a cached
// badge. So unless the output is a terminal, lines are buffered and flushed
// every FlushInterval, when the buffer fills, and on Close. An Access log
// on such a logger, in JSON, writes its lines straight into that buffer
// (see Access).
package logging

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// FlushInterval bounds how long a log line waits in the buffer.
const FlushInterval = 250 * time.Millisecond

// New returns a logger writing to w in format ("text", "json" or "auto":
// text on a terminal, JSON otherwise) at level, and a function that flushes
// and stops the buffer. Call it before the process exits.
func New(w io.Writer, format, level string) (*slog.Logger, func()) {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	tty := isTerminal(w)
	if format == "auto" {
		format = "json"
		if tty {
			format = "text"
		}
	}
	closeFn := func() {}
	if !tty {
		b := newBuffered(w, 64<<10, FlushInterval)
		w, closeFn = b, b.close
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), closeFn
	}
	h := slog.NewJSONHandler(w, opts)
	if b, ok := w.(*buffered); ok {
		return slog.New(&jsonHandler{h, b}), closeFn
	}
	return slog.New(h), closeFn
}

// jsonHandler is slog's JSON handler over a buffer, marked so that an
// Access log can find the buffer and write the same lines itself. Loggers
// derived with With or WithGroup get slog's handler alone.
type jsonHandler struct {
	*slog.JSONHandler
	out *buffered
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// buffered is an io.Writer safe for concurrent use that batches writes.
type buffered struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newBuffered(w io.Writer, size int, every time.Duration) *buffered {
	b := &buffered{w: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.flush()
			case <-b.stop:
				b.flush()
				return
			}
		}
	}()
	return b
}

func (b *buffered) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// appendTo appends one line to the buffer with f, which appends to the
// slice it is given and returns it; the line is built in the buffer's own
// memory, so it is not copied or allocated.
func (b *buffered) appendTo(f func([]byte) []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.w.Available() < 1024 {
		_ = b.w.Flush()
	}
	_, _ = b.w.Write(f(b.w.AvailableBuffer()))
}

func (b *buffered) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.w.Flush()
}

func (b *buffered) close() {
	b.once.Do(func() {
		close(b.stop)
		<-b.done
	})
}

// Request is what an access log line says of one request.
type Request struct {
	Method string
	Path   string
	Status int
	Bytes  int64
	Dur    time.Duration
	IP     string
}

// Access writes one line per request, the line
//
//	log.LogAttrs(ctx, slog.LevelInfo, "http", slog.String("method", r.Method),
//		slog.String("path", r.Path), slog.Int("status", r.Status),
//		slog.Int64("bytes", r.Bytes), slog.Duration("dur", r.Dur), slog.String("ip", r.IP))
//
// would write. On a JSON logger made by New over a buffer (production: a
// file or a pipe) it writes that line itself, byte for byte, without
// allocating and with one lock; on any other logger it calls LogAttrs.
type Access struct {
	log *slog.Logger
	out *buffered // nil: through log
	on  bool
}

// NewAccess returns the access log that writes to log.
func NewAccess(log *slog.Logger) *Access {
	a := &Access{log: log, on: log.Enabled(context.Background(), slog.LevelInfo)}
	if h, ok := log.Handler().(*jsonHandler); ok {
		a.out = h.out
	}
	return a
}

// Log writes r's line, stamped t (the time the request ended).
func (a *Access) Log(ctx context.Context, t time.Time, r Request) {
	if !a.on {
		return
	}
	if a.out == nil {
		a.log.LogAttrs(ctx, slog.LevelInfo, "http",
			slog.String("method", r.Method),
			slog.String("path", r.Path),
			slog.Int("status", r.Status),
			slog.Int64("bytes", r.Bytes),
			slog.Duration("dur", r.Dur),
			slog.String("ip", r.IP))
		return
	}
	a.out.appendTo(func(b []byte) []byte { return appendAccess(b, t, &r) })
}

// appendAccess appends r's line as slog's JSON handler writes it.
func appendAccess(b []byte, t time.Time, r *Request) []byte {
	b = append(b, `{"time":"`...)
	if y := t.Year(); y < 0 || y >= 10000 {
		b = append(b, `!ERROR:time.Time year outside of range [0,9999]"`...)
	} else {
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = append(b, `,"level":"INFO","msg":"http","method":"`...)
	b = appendJSONString(b, r.Method)
	b = append(b, `","path":"`...)
	b = appendJSONString(b, r.Path)
	b = append(b, `","status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, r.Bytes, 10)
	b = append(b, `,"dur":`...)
	b = strconv.AppendInt(b, int64(r.Dur), 10)
	b = append(b, `,"ip":"`...)
	b = appendJSONString(b, r.IP)
	return append(b, "\"}\n"...)
}

// appendJSONString appends s escaped as log/slog's JSON handler escapes a
// string (its appendEscapedJSONString): quote, backslash and control bytes
// escaped, invalid UTF-8 as slog writes it (invalidUTF8), U+2028 and
// U+2029 escaped, HTML characters kept as they are.
func appendJSONString(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, invalidUTF8...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

const hex = "0123456789abcdef"

// invalidUTF8 is what slog writes for a byte that is not UTF-8: the escape
// \ufffd, or U+FFFD itself in toolchains with encoding/json/v2. Asked of
// slog once, so the lines stay the same as slog's with either.
var invalidUTF8 = func() string {
	var b bytes.Buffer
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "", 0)
	r.AddAttrs(slog.String("s", "\xff"))
	_ = slog.NewJSONHandler(&b, nil).Handle(context.Background(), r)
	s := b.String()
	_, s, _ = strings.Cut(s, `"s":"`)
	s, _, _ = strings.Cut(s, `"`)
	return s
}()
