package logging_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/oabadge/oabadge/internal/logging"
)

// syncBuf is a bytes.Buffer safe to read while the flusher writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCloseFlushesEveryLine(t *testing.T) {
	var out syncBuf
	log, closeFn := logging.New(&out, "json", "info")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 500 {
				log.Info("http", "worker", i, "n", j)
			}
		}()
	}
	wg.Wait()
	log.Debug("hidden")
	closeFn()
	closeFn() // idempotent
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("got %d lines after close, want %d", len(lines), 8*500)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"time":`) || !strings.HasSuffix(l, "}") {
			t.Fatalf("interleaved or partial line: %q", l)
		}
	}
}

func TestFormats(t *testing.T) {
	for format, prefix := range map[string]string{"json": `{"time"`, "text": "time=", "auto": `{"time"`} {
		var out syncBuf
		log, closeFn := logging.New(&out, format, "debug")
		log.Debug("x")
		closeFn()
		if !strings.HasPrefix(out.String(), prefix) {
			t.Errorf("format %s wrote %q, want it to start with %q", format, out.String(), prefix)
		}
	}
}
