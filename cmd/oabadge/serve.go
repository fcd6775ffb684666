package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/logging"
)

func serveCmd() *command {
	return &command{
		name: "serve", summary: "run the server (the default command)",
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			return serve
		},
	}
}

func serve(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
	if len(rest) > 0 {
		return usageErr("unexpected argument %q", rest[0])
	}
	log, flushLog := logging.New(e.stderr, c.LogFormat, c.LogLevel)
	defer flushLog()
	if e.getenv("GOGC") == "" {
		// The live heap is small and bounded (the badge cache), while
		// net/http allocates on every request: collecting at 5x the live
		// heap instead of 2x costs a few MiB and serves about 10 % more
		// requests per core. GOGC in the environment still wins.
		debug.SetGCPercent(400)
	}
	if e.getenv("GOMEMLIMIT") == "" {
		// With GOGC at 400, a burst of large renders (a print PNG holds
		// ~30 MiB while it is made) would let the heap grow five-fold
		// before a collection; a soft limit makes the collector work
		// harder near it instead. GOMEMLIMIT in the environment wins.
		debug.SetMemoryLimit(128 << 20)
	}

	lc := net.ListenConfig{}
	if c.ReusePort {
		lc.Control = reusePort
	}
	ln, err := lc.Listen(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", c.Addr, err)
	}
	defer ln.Close()
	c.PublicURL = publicURL(c, ln.Addr())

	a, err := app.New(ctx, c, app.Options{Version: version, Log: log})
	if err != nil {
		return err
	}
	defer a.Close()
	if c.Demo {
		created, err := a.Campaigns.EnsureDemo(ctx, app.Demo(c.DemoTarget))
		if err != nil {
			return fmt.Errorf("creating the demo campaign: %w", err)
		}
		if created {
			log.Info("created the demo campaign", "slug", "bnv", "target", c.DemoTarget)
		}
	}
	if c.DebugAddr != "" {
		stopDebug, err := serveDebug(c.DebugAddr, log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}

	base := c.PublicURL
	fmt.Fprintf(e.stdout, "oabadge %s listening on %s (store %s)\n", version, base, config.RedactDSN(c.DB))
	fmt.Fprintf(e.stdout, "  page:   %s/\n", base)
	fmt.Fprintf(e.stdout, "  admin:  %s/admin   (make an account: oabadge admin add NAME --role admin)\n", base)
	for _, x := range a.Campaigns.List() {
		fmt.Fprintf(e.stdout, "  badge:  %s/b/%s.svg   %s/b/%s.png\n", base, x.Slug, base, x.Slug)
		fmt.Fprintf(e.stdout, "  json:   %s/api/v1/campaigns/%s\n", base, x.Slug)
	}
	return a.Serve(ctx, ln)
}

// publicURL is the configured public URL, or one made from the address
// actually listened on.
func publicURL(c config.Config, addr net.Addr) string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// serveDebug serves net/http/pprof on its own listener, apart from the
// public handler, so profiles are never reachable through the public port.
func serveDebug(addr string, log interface {
	Info(msg string, args ...any)
}) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--debug-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	log.Info("serving pprof", "addr", ln.Addr().String())
	return func() { hs.Close() }, nil
}
