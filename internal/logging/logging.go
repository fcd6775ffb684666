// Package logging builds oabadge's one slog logger from the configuration.
//
// Access logs write a line per request; written straight to a file or pipe
// that is a system call per request, a sizable share of serving a cached
// badge. So unless the output is a terminal, lines are buffered and flushed
// every FlushInterval, when the buffer fills, and on Close.
package logging

import (
	"bufio"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
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
	return slog.New(slog.NewJSONHandler(w, opts)), closeFn
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
