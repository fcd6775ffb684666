package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/logging"
	"github.com/oabadge/oabadge/internal/poster"
	"github.com/oabadge/oabadge/internal/server"
	"github.com/oabadge/oabadge/internal/store"
	"github.com/oabadge/oabadge/internal/store/postgres"
	"github.com/oabadge/oabadge/internal/store/sqlite"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `oabadge: QR badges for a Zalo Official Account, served to agency portals

Usage:
  oabadge [serve] [flags]          run the server (the default)
  oabadge rotate [flags] SLUG URL  point campaign SLUG at URL as its next version
  oabadge history [flags] SLUG     print SLUG's target history, newest first
  oabadge admin add [flags] NAME --role ROLE
                                   add an account; the password is read from
                                   the terminal, or the first line of stdin
  oabadge admin token [flags] ACCOUNT --role ROLE [--name NAME]
                                   print a new API token for ACCOUNT on stdout
  oabadge admin revoke [flags] TOKEN_ID
                                   revoke an API token
  oabadge audit verify [flags]     check the audit trail's hash chain
  oabadge agencies import [flags] FILE.csv
                                   import the agency register (name,kind,homepage[,parent,contact])
  oabadge agencies export [flags]  print the register as CSV
  oabadge check [flags] [--json]   check every agency homepage for every campaign
  oabadge poster [flags] SLUG -o FILE.pdf [--paper a4|a5|a6] [--agency TEXT]
                 [--bleed] [--placement CODE]
                                   print-ready PDF poster for one-stop desks
  oabadge migrate --from DSN --to DSN [--force]
                                   copy everything from one store to another
                                   (e.g. sqlite:data/oabadge.db to postgres://…)
  oabadge poster [flags] SLUG --each-agency -o DIR     one PDF per agency in the register
  oabadge poster [flags] SLUG --each-agency --one-file -o FILE.pdf
                                   one page per agency in a single PDF
  oabadge version                  print the version
  oabadge help                     print this text

Every flag can also be set as an OABADGE_* environment variable (--db is
OABADGE_DB), or read from the file named by OABADGE_*_FILE.
Run 'oabadge COMMAND -h' for a command's flags.
`

// run is the whole program, minus process globals, so tests can run it.
// It returns the exit code: 0 on success, 2 for bad usage, 1 otherwise,
// after printing one line saying what was wrong.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, getenv, stdout, stderr)
	case "rotate":
		err = rotate(ctx, args, getenv, stdout, stderr)
	case "history":
		err = history(ctx, args, getenv, stdout, stderr)
	case "admin":
		err = admin(ctx, args, getenv, stdin, stdout, stderr)
	case "audit":
		err = auditCmd(ctx, args, getenv, stdout, stderr)
	case "agencies":
		err = agencies(ctx, args, getenv, stdout, stderr)
	case "check":
		err = check(ctx, args, getenv, stdout, stderr)
	case "poster":
		err = posterCmd(ctx, args, getenv, stdout, stderr)
	case "migrate":
		err = migrate(ctx, args, stdout)
	case "version":
		fmt.Fprintln(stdout, "oabadge", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "oabadge: unknown command %q; run 'oabadge help'\n", cmd)
		return 2
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, config.ErrUsage):
		fmt.Fprintf(stderr, "oabadge %s: %s; run 'oabadge %s -h' for the flags\n", cmd, oneLine(err), cmd)
		return 2
	}
	fmt.Fprintf(stderr, "oabadge %s: %s\n", cmd, oneLine(err))
	return 1
}

// oneLine flattens err for the terminal: operators see the causes too.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// load parses cmd's flags over the environment and defaults. The flag
// package is kept quiet: a bad flag gets the one-line error run prints,
// and -h gets the usage text.
func load(cmd string, args []string, getenv func(string) string, stderr io.Writer, argsUsage string) (config.Config, []string, error) {
	fs := flag.NewFlagSet("oabadge "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	c, rest, err := config.Load(fs, args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "Usage: oabadge %s [flags] %s\n\nFlags:\n", cmd, argsUsage)
		fs.PrintDefaults()
	}
	return c, rest, err
}

// openStore opens the store the DSN names.
func openStore(ctx context.Context, c config.Config) (store.Store, error) {
	st, err := openDSN(ctx, c.DB)
	if err != nil {
		return nil, err
	}
	if pg, ok := st.(*postgres.Store); ok {
		pg.PollEvery = c.PollInterval
	}
	return st, nil
}

// openDSN opens a store by DSN. It returns a nil interface on error, never
// an interface holding a nil pointer.
func openDSN(ctx context.Context, dsn string) (store.Store, error) {
	if store.IsPostgres(dsn) {
		pg, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return pg, nil
	}
	path, err := store.SQLitePath(dsn)
	if err != nil {
		return nil, err
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return s, nil
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

// demoCampaign is created on first start so a newcomer sees a badge at once.
func demoCampaign(c config.Config) campaign.Campaign {
	return campaign.Campaign{
		Slug:    "bnv",
		Title:   "Zalo OA Bộ Nội vụ",
		Caption: "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ",
		Target:  c.DemoTarget,
		QRMode:  campaign.Direct,
	}
}

// HTTP server limits. Echo's own server has none; without them a client
// that trickles its headers holds a connection and a goroutine forever.
const (
	readTimeout    = 15 * time.Second
	writeTimeout   = 30 * time.Second
	idleTimeout    = 120 * time.Second
	maxHeaderBytes = 16 << 10
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, rest, err := load("serve", args, getenv, stderr, "")
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q", rest[0])
	}
	log, flushLog := logging.New(stderr, c.LogFormat, c.LogLevel)
	defer flushLog()
	if getenv("GOGC") == "" {
		// The live heap is small and bounded (the badge cache), while
		// net/http allocates on every request: collecting at 5x the live
		// heap instead of 2x costs a few MiB and serves about 10 % more
		// requests per core. GOGC in the environment still wins.
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		// With GOGC at 400, a burst of large renders (a print PNG holds
		// ~30 MiB while it is made) would let the heap grow five-fold
		// before a collection; a soft limit makes the collector work
		// harder near it instead. GOMEMLIMIT in the environment wins.
		debug.SetMemoryLimit(128 << 20)
	}

	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()

	lc := net.ListenConfig{}
	if c.ReusePort {
		lc.Control = reusePort
	}
	ln, err := lc.Listen(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", c.Addr, err)
	}
	defer ln.Close()
	base := publicURL(c, ln.Addr())

	var svc *campaign.Service
	metrics := server.NewMetrics(func() int { return svc.CacheLen() })
	svc = campaign.NewService(store, campaign.Config{
		Policy:       campaign.Policy{Hosts: c.AllowHosts},
		PublicURL:    base,
		TwoPerson:    c.TwoPerson,
		PollInterval: c.PollInterval,
		Observer:     metrics,
		Logger:       log,
	})
	if c.Demo {
		created, err := svc.EnsureDemo(ctx, demoCampaign(c))
		if err != nil {
			return fmt.Errorf("creating the demo campaign: %w", err)
		}
		if created {
			log.Info("created the demo campaign", "slug", "bnv", "target", c.DemoTarget)
		}
	}
	if err := svc.Refresh(ctx); err != nil {
		return fmt.Errorf("reading campaigns: %w", err)
	}

	counter := compliance.NewCounter(0, nil)
	checks := newRunner(c, base, store, svc, log)
	srv, err := server.New(server.Config{
		PublicURL:      base,
		CacheMaxAge:    c.CacheMaxAge,
		TrustedProxies: c.TrustedProxies,
		AccessLog:      c.AccessLog,
		Version:        version,
		Counter:        counter,
		Checks:         checks,
	}, svc, store, metrics, log)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	if c.DebugAddr != "" {
		stopDebug, err := serveDebug(c.DebugAddr, log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var background sync.WaitGroup
	background.Add(2)
	go func() {
		defer background.Done()
		_ = svc.Run(runCtx)
	}()
	go func() {
		defer background.Done()
		compliance.FlushEvery(runCtx, counter, store, c.CountFlush, log) // flushes once more when runCtx ends
	}()
	if c.CheckEvery > 0 {
		background.Add(1)
		go func() {
			defer background.Done()
			checks.Every(runCtx, c.CheckEvery)
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()

	fmt.Fprintf(stdout, "oabadge %s listening on %s (store %s)\n", version, base, c.DB)
	fmt.Fprintf(stdout, "  page:   %s/\n", base)
	fmt.Fprintf(stdout, "  admin:  %s/admin   (make an account: oabadge admin add NAME --role admin)\n", base)
	for _, x := range svc.List() {
		fmt.Fprintf(stdout, "  badge:  %s/b/%s.svg   %s/b/%s.png\n", base, x.Slug, base, x.Slug)
		fmt.Fprintf(stdout, "  json:   %s/api/v1/campaigns/%s\n", base, x.Slug)
	}
	log.Info("serving", "addr", ln.Addr().String(), "public_url", base)

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	srv.Drain()
	if c.DrainDelay > 0 {
		log.Info("stopping: /readyz fails; still serving while load balancers catch up", "drain_delay", c.DrainDelay)
		time.Sleep(c.DrainDelay)
	}
	log.Info("shutting down: draining in-flight requests", "timeout", c.ShutdownTimeout)
	sctx, scancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer scancel()
	err = hs.Shutdown(sctx)
	cancel() // after the last request: the final flush counts it
	background.Wait()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func rotate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	args, ifVersion, hasVersion, err := takeFlag(args, "if-version")
	if err != nil {
		return err
	}
	var expect int64
	if hasVersion {
		if expect, err = strconv.ParseInt(ifVersion, 10, 64); err != nil || expect < 1 {
			return fmt.Errorf("--if-version %q: want the campaign's current version, a number from 1", ifVersion)
		}
	}
	c, rest, err := load("rotate", args, getenv, stderr, "[--if-version N] SLUG URL")
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return errors.New("want SLUG and URL, e.g. oabadge rotate bnv https://zalo.me/1234567890")
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	actor := cliActor(getenv)
	svc := campaign.NewService(store, campaign.Config{Policy: campaign.Policy{Hosts: c.AllowHosts}, PublicURL: c.PublicURL})
	got, err := svc.Rotate(ctx, rest[0], rest[1], expect, actor)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: version %d now points at %s\n", got.Slug, got.Version, got.Target)
	return nil
}

func history(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, rest, err := load("history", args, getenv, stderr, "SLUG")
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("want one SLUG, e.g. oabadge history bnv")
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	revs, err := store.History(ctx, rest[0])
	if err != nil {
		return err
	}
	for _, r := range revs {
		fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\n", r.Version, r.CreatedAt.Format(time.RFC3339), r.Actor, r.Target)
	}
	return nil
}

// serveDebug serves net/http/pprof on its own listener, apart from the
// public handler, so profiles are never reachable through the public port.
func serveDebug(addr string, log *slog.Logger) (func(), error) {
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

// cliActor is who the audit trail says made a change from the command line.
func cliActor(getenv func(string) string) audit.Actor {
	name := "cli"
	if u := getenv("USER"); u != "" {
		name = "cli:" + u
	}
	return audit.Actor{Name: name, Role: "admin", UserAgent: "oabadge " + version}
}

// subcommand splits "admin add …" into "add" and the rest.
func subcommand(args []string, want ...string) (string, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", nil, fmt.Errorf("want one of: %s", strings.Join(want, ", "))
	}
	for _, w := range want {
		if args[0] == w {
			return w, args[1:], nil
		}
	}
	return "", nil, fmt.Errorf("unknown subcommand %q; want one of: %s", args[0], strings.Join(want, ", "))
}

// takeFlag removes --name VALUE (or --name=VALUE) from args: flags of one
// subcommand, kept apart from the shared settings.
func takeFlag(args []string, name string) ([]string, string, bool, error) {
	var out []string
	val, found := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--"+name || a == "-"+name:
			if i+1 >= len(args) {
				return nil, "", false, fmt.Errorf("--%s needs a value", name)
			}
			val, found = args[i+1], true
			i++
		case strings.HasPrefix(a, "--"+name+"=") || strings.HasPrefix(a, "-"+name+"="):
			val, found = a[strings.IndexByte(a, '=')+1:], true
		default:
			out = append(out, a)
		}
	}
	return out, val, found, nil
}

func admin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	sub, args, err := subcommand(args, "add", "token", "revoke")
	if err != nil {
		return err
	}
	args, role, hasRole, err := takeFlag(args, "role")
	if err != nil {
		return err
	}
	args, tokenName, _, err := takeFlag(args, "name")
	if err != nil {
		return err
	}
	c, rest, err := load("admin "+sub, args, getenv, stderr, "NAME --role ROLE")
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("want one name, e.g. oabadge admin %s alice", sub)
	}
	if sub != "revoke" && !hasRole {
		return errors.New("--role is required: viewer, editor or admin")
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	by := cliActor(getenv)
	now := time.Now().UTC()
	switch sub {
	case "add":
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		a, err := auth.NewAccount(rest[0], role, pw, now)
		if err != nil {
			return err
		}
		if err := store.CreateAccount(ctx, a, by); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s account %s\n", a.Role, a.Name)
	case "token":
		owner, err := store.Account(ctx, rest[0])
		if err != nil {
			return err
		}
		if tokenName == "" {
			tokenName = "cli-" + now.Format("20060102-150405")
		}
		t, secret, err := auth.NewAPIToken(tokenName, role, owner, now)
		if err != nil {
			return err
		}
		if err := store.CreateToken(ctx, t, by); err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "token %s (%s, %s) for %s; it is shown only this once\n", t.ID, t.Name, t.Role, t.Account)
	case "revoke":
		if err := store.RevokeToken(ctx, rest[0], now, by); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %s\n", rest[0])
	}
	return nil
}

// readPassword reads a password: without echo from a terminal (twice, to
// catch typos), else the first line of stdin, for scripts.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}

func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	_, args, err := subcommand(args, "verify")
	if err != nil {
		return err
	}
	c, rest, err := load("audit verify", args, getenv, stderr, "")
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("unexpected argument %q", rest[0])
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit trail intact: %d entries\n", n)
	return nil
}

// newRunner makes the register checker for the campaigns svc serves.
func newRunner(c config.Config, base string, st store.Store, svc *campaign.Service, log *slog.Logger) *compliance.Runner {
	return &compliance.Runner{
		Store:   st,
		Checker: &compliance.Checker{PublicURL: base, Concurrency: c.CheckConcurrency, Timeout: c.CheckTimeout},
		Campaigns: func() []string {
			var slugs []string
			for _, x := range svc.List() {
				slugs = append(slugs, x.Slug)
			}
			return slugs
		},
		Log: log,
	}
}

func agencies(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub, args, err := subcommand(args, "import", "export")
	if err != nil {
		return err
	}
	c, rest, err := load("agencies "+sub, args, getenv, stderr, "[FILE.csv]")
	if err != nil {
		return err
	}
	if sub == "import" && len(rest) != 1 || sub == "export" && len(rest) != 0 {
		return errors.New("want: oabadge agencies import FILE.csv, or oabadge agencies export")
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	if sub == "export" {
		as, err := store.Agencies(ctx)
		if err != nil {
			return err
		}
		rows := make([][]string, 0, len(as))
		for _, a := range as {
			rows = append(rows, []string{a.Name, string(a.Kind), a.Homepage, a.Parent, a.Contact})
		}
		return compliance.WriteCSV(stdout, []string{"name", "kind", "homepage", "parent", "contact"}, rows)
	}
	f, err := os.Open(rest[0])
	if err != nil {
		return err
	}
	defer f.Close()
	as, err := compliance.ParseCSV(f)
	if err == nil {
		var created, updated int
		created, updated, err = store.ImportAgencies(ctx, as, time.Now().UTC(), cliActor(getenv))
		if err == nil {
			fmt.Fprintf(stdout, "%s: %d agencies, %d new, %d updated\n", rest[0], len(as), created, updated)
			return nil
		}
	}
	var ie *compliance.ImportError
	if errors.As(err, &ie) {
		for _, r := range ie.Rows {
			fmt.Fprintf(stderr, "%s:%d: %s\n", rest[0], r.Line, r.Reason)
		}
		return fmt.Errorf("%s: %d bad line(s); nothing was imported", rest[0], len(ie.Rows))
	}
	return fmt.Errorf("%s: %w", rest[0], err)
}

func check(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	args, jsonOut := takeBool(args, "json")
	c, rest, err := load("check", args, getenv, stderr, "[--json]")
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("unexpected argument %q", rest[0])
	}
	if c.PublicURL == "" {
		return errors.New("--public-url is required: the checker looks for embeds pointing at it")
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := campaign.NewService(store, campaign.Config{Policy: campaign.Policy{Hosts: c.AllowHosts}, PublicURL: c.PublicURL})
	if err := svc.Refresh(ctx); err != nil {
		return err
	}
	results, err := newRunner(c, c.PublicURL, store, svc, nil).Run(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	embedded := 0
	for _, r := range results {
		if r.Status == compliance.Embedded {
			embedded++
		}
		if jsonOut {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "%-12s %-10s %s (%s)", r.Status, r.Campaign, r.Agency, r.Reason)
		if r.Fix != "" {
			fmt.Fprintf(stdout, " fix: %s", strings.ReplaceAll(r.Fix, "\n", " | "))
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stderr, "%d of %d checks found the badge embedded\n", embedded, len(results))
	return nil
}

// takeBool removes a boolean --name from args.
func takeBool(args []string, name string) ([]string, bool) {
	var out []string
	found := false
	for _, a := range args {
		if a == "--"+name || a == "-"+name || a == "--"+name+"=true" {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}

func posterCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var paperName, agencyText, placement, outPath string
	var err error
	for _, f := range []struct {
		name string
		dst  *string
	}{{"paper", &paperName}, {"agency", &agencyText}, {"placement", &placement}, {"o", &outPath}, {"out", &outPath}} {
		var v string
		var ok bool
		if args, v, ok, err = takeFlag(args, f.name); err != nil {
			return err
		} else if ok {
			*f.dst = v
		}
	}
	args, bleed := takeBool(args, "bleed")
	args, each := takeBool(args, "each-agency")
	args, oneFile := takeBool(args, "one-file")
	c, rest, err := load("poster", args, getenv, stderr, "SLUG -o FILE.pdf")
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("want one campaign, e.g. oabadge poster bnv -o poster.pdf")
	}
	if outPath == "" {
		return errors.New("-o is required: the PDF file (or, with --each-agency, the directory) to write")
	}
	if paperName == "" {
		paperName = "a4"
	}
	paper, ok := poster.Papers[strings.ToLower(paperName)]
	if !ok {
		return fmt.Errorf("--paper %q: want a4, a5 or a6", paperName)
	}
	if utf8.RuneCountInString(agencyText) > server.MaxAgencyLine {
		return fmt.Errorf("--agency is longer than %d characters", server.MaxAgencyLine)
	}
	if each && agencyText != "" {
		return errors.New("--agency and --each-agency do not go together")
	}
	publicURLGiven := c.PublicURL != ""
	if !publicURLGiven {
		c.PublicURL = "http://" + c.Addr // a placeholder: refused below for codes that would print it
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := campaign.NewService(store, campaign.Config{Policy: campaign.Policy{Hosts: c.AllowHosts}, PublicURL: c.PublicURL})
	x, err := store.Campaign(ctx, rest[0])
	if err != nil {
		return err
	}
	if x.QRMode == campaign.Redirect && !publicURLGiven {
		return errors.New("this campaign's code encodes this server's URL: give it with --public-url")
	}
	code, err := svc.PrintedCode(x, placement)
	if err != nil {
		return err
	}
	opts := poster.Options{Paper: paper, Bleed: bleed}
	content := func(agency string) poster.Content {
		return poster.NewContent(code, x.Title, x.Caption, agency)
	}
	write := func(path string, cs []poster.Content) error {
		b, err := poster.Render(cs, opts)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d page(s), %s\n", path, len(cs), paper.Name)
		return nil
	}
	if !each {
		return write(outPath, []poster.Content{content(badge.CleanText(agencyText))})
	}
	as, err := store.Agencies(ctx)
	if err != nil {
		return err
	}
	if len(as) == 0 {
		return errors.New("the register is empty: import agencies first (oabadge agencies import FILE.csv)")
	}
	if oneFile {
		cs := make([]poster.Content, len(as))
		for i, a := range as {
			cs[i] = content(a.Name)
		}
		return write(outPath, cs)
	}
	if err := os.MkdirAll(outPath, 0o755); err != nil {
		return err
	}
	for _, a := range as {
		name := fmt.Sprintf("%s-%s-%03d.pdf", x.Slug, paper.Name, a.ID)
		if err := write(filepath.Join(outPath, name), []poster.Content{content(a.Name)}); err != nil {
			return err
		}
	}
	return nil
}

// migrate copies every row from one store to another, refusing a
// non-empty target unless told, then verifies the copy: the same number
// of rows in every table and an intact audit chain.
func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	args, from, _, err := takeFlag(args, "from")
	if err != nil {
		return err
	}
	args, to, _, err := takeFlag(args, "to")
	if err != nil {
		return err
	}
	args, force := takeBool(args, "force")
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q", args[0])
	}
	if from == "" || to == "" {
		return errors.New("want --from DSN --to DSN, e.g. --from sqlite:data/oabadge.db --to postgres://oabadge@db/oabadge")
	}
	if from == to {
		return errors.New("--from and --to name the same store")
	}
	src, err := openDSN(ctx, from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	if _, err := src.VerifyAudit(ctx); err != nil {
		return fmt.Errorf("--from: the audit trail does not verify, so it is not copied: %w", err)
	}
	dst, err := openDSN(ctx, to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	d, err := src.Dump(ctx)
	if err != nil {
		return fmt.Errorf("reading --from: %w", err)
	}
	if err := dst.Load(ctx, d, force); err != nil {
		return fmt.Errorf("writing --to: %w", err)
	}
	got, err := dst.Dump(ctx)
	if err != nil {
		return fmt.Errorf("reading back --to: %w", err)
	}
	want, have := d.Sizes(), got.Sizes()
	for table, n := range want {
		if have[table] != n {
			return fmt.Errorf("verification: %s has %d rows in --to, %d in --from", table, have[table], n)
		}
	}
	n, err := dst.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("verification: %w", err)
	}
	fmt.Fprintf(stdout, "copied %d campaigns, %d history rows, %d proposals, %d accounts, %d tokens, %d agencies, %d counts, %d checks; audit trail of %d entries verified\n",
		want["campaigns"], want["targets"], want["proposals"], want["accounts"], want["tokens"], want["agencies"], want["counts"], want["checks"], n)
	return nil
}
