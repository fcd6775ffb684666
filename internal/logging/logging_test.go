package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

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

// accessCases are requests whose lines must come out as slog writes them:
// odd bytes in the path and address, as a client can send.
var accessCases = []logging.Request{
	{Method: "GET", Path: "/b/bnv.svg", Status: 200, Bytes: 3721, Dur: 2274, IP: "127.0.0.1"},
	{Method: "HEAD", Path: "/", Status: 304, Bytes: 0, Dur: 0, IP: "2001:db8::1"},
	{Method: "POST", Path: `/a"b\c` + "\n\r\t\x00\x1f\x7f", Status: 404, Bytes: -1, Dur: 90 * time.Second, IP: ""},
	{Method: "GET", Path: "/<script>&amp;/ả/\u2028\u2029/\xff\xfe/\xe2\x80", Status: 599, Bytes: 1 << 40, Dur: -5, IP: "x"},
}

// slogLine is the line slog's own JSON handler writes for r at t.
func slogLine(t time.Time, r logging.Request) string {
	var b bytes.Buffer
	rec := slog.NewRecord(t, slog.LevelInfo, "http", 0)
	rec.AddAttrs(slog.String("method", r.Method), slog.String("path", r.Path), slog.Int("status", r.Status),
		slog.Int64("bytes", r.Bytes), slog.Duration("dur", r.Dur), slog.String("ip", r.IP))
	_ = slog.NewJSONHandler(&b, nil).Handle(context.Background(), rec)
	return b.String()
}

// accessLine is the line Access writes for r at t on a logger made by New.
func accessLine(t time.Time, r logging.Request) string {
	var out syncBuf
	log, closeFn := logging.New(&out, "json", "info")
	logging.NewAccess(log).Log(context.Background(), t, r)
	closeFn()
	return out.String()
}

func TestAccessLineIsSlogs(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 11, 28, 1, 4, 5, 719622417, time.UTC),
		time.Date(2026, 11, 28, 1, 4, 5, 0, time.UTC),
		time.Date(2026, 11, 28, 8, 4, 5, 120000000, time.FixedZone("ICT", 7*3600)),
		time.Now(),
	}
	for i, r := range accessCases {
		for _, at := range times {
			if got, want := accessLine(at, r), slogLine(at, r); got != want {
				t.Errorf("case %d at %v: Access wrote\n%s want (slog)\n%s", i, at, got, want)
			}
		}
	}
	// A year past 9999 cannot be written in RFC 3339: the line says so in
	// its time, as slog does since Go 1.27 (Go 1.26's slog also wrote the
	// time after the message, which left the line invalid JSON).
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	var line map[string]any
	if got := accessLine(far, accessCases[0]); json.Unmarshal([]byte(got), &line) != nil ||
		line["time"] != "!ERROR:time.Time year outside of range [0,9999]" || line["path"] != accessCases[0].Path {
		t.Errorf("at %v Access wrote %s", far, got)
	}
}

func TestAccessElsewhereGoesThroughSlog(t *testing.T) {
	var out bytes.Buffer
	logging.NewAccess(slog.New(slog.NewTextHandler(&out, nil))).Log(context.Background(), time.Now(), accessCases[0])
	if s := out.String(); !strings.Contains(s, "msg=http method=GET path=/b/bnv.svg status=200 bytes=3721 dur=2.274µs ip=127.0.0.1") {
		t.Errorf("text logger got %q", s)
	}
	out.Reset()
	logging.NewAccess(slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))).Log(context.Background(), time.Now(), accessCases[0])
	if out.Len() != 0 {
		t.Errorf("a logger at warn level wrote %q", out.String())
	}
	var quiet syncBuf
	log, closeFn := logging.New(&quiet, "json", "warn")
	logging.NewAccess(log).Log(context.Background(), time.Now(), accessCases[0])
	closeFn()
	if s := quiet.String(); s != "" {
		t.Errorf("New at warn level wrote %q", s)
	}
}

func FuzzAccessLine(f *testing.F) {
	for _, r := range accessCases {
		f.Add(r.Method, r.Path, r.IP, r.Status, r.Bytes, int64(r.Dur), int64(1764291845719622417))
	}
	f.Fuzz(func(t *testing.T, method, path, ip string, status int, size, dur, ns int64) {
		at := time.Unix(0, ns).UTC()
		r := logging.Request{Method: method, Path: path, Status: status, Bytes: size, Dur: time.Duration(dur), IP: ip}
		if got, want := accessLine(at, r), slogLine(at, r); got != want {
			t.Errorf("Access wrote\n%s want (slog)\n%s", got, want)
		}
	})
}

func BenchmarkAccess(b *testing.B) {
	log, closeFn := logging.New(io.Discard, "json", "info")
	defer closeFn()
	for _, bc := range []struct {
		name string
		log  func(context.Context, time.Time, logging.Request)
	}{
		{"access", logging.NewAccess(log).Log},
		{"slog", func(ctx context.Context, _ time.Time, r logging.Request) {
			log.LogAttrs(ctx, slog.LevelInfo, "http", slog.String("method", r.Method), slog.String("path", r.Path),
				slog.Int("status", r.Status), slog.Int64("bytes", r.Bytes), slog.Duration("dur", r.Dur), slog.String("ip", r.IP))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				bc.log(ctx, time.Now(), accessCases[0])
			}
		})
	}
}
