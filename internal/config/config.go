// Package config reads oabadge's settings: defaults, then OABADGE_*
// environment variables (each also readable from a file named by the same
// variable with _FILE appended, for secrets mounted by an orchestrator),
// then command-line flags, then Validate, which names the setting at fault.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/purge"
)

// DemoTargetPlaceholder is the demo campaign's target until an admin sets
// the real Official Account link. It is on an allowed host so the demo badge
// renders, but leads to no real account.
const DemoTargetPlaceholder = "https://zalo.me/0000000000000000000"

// Config is every setting of the server and the command-line tools.
type Config struct {
	// Addr is the TCP address the server listens on.
	Addr string
	// DB is the store's DSN: sqlite:PATH.
	DB string
	// AuditKeyFile is the file holding the key the audit trail is sealed
	// with (created 0600 when missing). Empty: audit.key beside a SQLite
	// database; PostgreSQL needs it set, the same file on every replica.
	AuditKeyFile string
	// PublicURL is the external base URL written into snippets and stable
	// QR links. It is never taken from request headers. Empty means
	// "http://" plus the address actually listened on.
	PublicURL string
	// CacheMaxAge is the max-age sent with badge images: how long a
	// browser keeps one without asking again, and so (with as long again
	// of stale-while-revalidate) the longest a returning visitor's badge
	// lags a rotation.
	CacheMaxAge time.Duration
	// SharedMaxAge is the s-maxage sent with badge images: how long a
	// shared cache (a CDN, Varnish) may keep one. AutoSharedMaxAge means
	// a day when Purge names the caches, which are then told of every
	// change, and no s-maxage otherwise (shared caches keep a badge as long
	// as browsers do).
	SharedMaxAge time.Duration
	// Purge are the shared caches told when a campaign changes:
	// comma-separated "URL" or "METHOD URL" (default method PURGE), each
	// sent the campaign's surrogate key.
	Purge []purge.Endpoint
	// AllowHosts are the hosts a campaign target may point at.
	AllowHosts []string
	// TrustedProxies are the addresses of reverse proxies whose
	// X-Forwarded-For is believed. Empty means the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// TwoPerson makes every change that alters what citizens see, and
	// every new admin or raised role, wait for a second admin's approval.
	TwoPerson bool
	// Require2FA makes admins enroll a second factor (TOTP) before they
	// may do anything, and use it at every sign-in.
	Require2FA bool
	// Demo creates the demo campaign when the store has none.
	Demo bool
	// DemoTarget is the demo campaign's target on first start.
	DemoTarget string
	// LogFormat is text, json or auto (text on a terminal, else JSON).
	LogFormat string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// AccessLog logs one line per request.
	AccessLog bool
	// FastPath answers GETs of cached badges straight off the connection
	// (package fastpath) instead of through net/http and Echo; the
	// answers are the same.
	FastPath bool
	// DebugAddr, when set, serves Go's pprof profiles on this separate
	// address; keep it on loopback or a private network.
	DebugAddr string
	// PollInterval is how often a replica re-reads campaigns even when no
	// change notification arrives: the longest a lost one can delay it.
	PollInterval time.Duration
	// CountFlush is how often impression and click counts are written.
	CountFlush time.Duration
	// CountSites bounds the referring sites counted per campaign and day;
	// counts from further sites are kept as "(other)".
	CountSites int
	// CheckEvery runs the homepage check of the whole register this often;
	// 0 turns the schedule off.
	CheckEvery time.Duration
	// CheckConcurrency bounds the homepages fetched at once.
	CheckConcurrency int
	// CheckTimeout bounds one homepage fetch.
	CheckTimeout time.Duration
	// CheckAllowPrivate lets the checker reach loopback, private and
	// link-local addresses (a portal on the intranet); off, the checker
	// refuses them, so a planted homepage cannot probe the network.
	CheckAllowPrivate bool
	// Screenshots is where render checks keep their screenshots.
	Screenshots string
	// ReusePort lets a new process listen on the address while the old one
	// still does (SO_REUSEPORT), for restarts without a refused connection.
	ReusePort bool
	// ReadHeaderTimeout is how long a client may take to send its
	// request headers; slower connections are cut.
	ReadHeaderTimeout time.Duration
	// DrainDelay is how long a stopping server keeps serving, with
	// /readyz failing, before it closes its listener, so load balancers
	// stop sending it requests first.
	DrainDelay time.Duration
	// ShutdownTimeout bounds how long in-flight requests may take to
	// finish after SIGTERM.
	ShutdownTimeout time.Duration
}

// AutoSharedMaxAge asks for the shared caches' lifetime that suits
// whether they are told of changes (see Config.SharedMaxAge).
const AutoSharedMaxAge time.Duration = -1

// PurgedSharedMaxAge is the shared caches' lifetime when they are told of
// every change: they then serve a badge without asking for a day.
const PurgedSharedMaxAge = 24 * time.Hour

// SharedCacheAge is the s-maxage to send: SharedMaxAge resolved, and
// false when shared caches should keep badges as long as browsers do.
func (c *Config) SharedCacheAge() (time.Duration, bool) {
	switch {
	case c.SharedMaxAge != AutoSharedMaxAge:
		return c.SharedMaxAge, true
	case len(c.Purge) > 0:
		return PurgedSharedMaxAge, true
	}
	return 0, false
}

// Default returns the settings a first run uses.
func Default() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		DB:                "sqlite:data/oabadge.db",
		CacheMaxAge:       time.Minute,
		SharedMaxAge:      AutoSharedMaxAge,
		AllowHosts:        append([]string(nil), campaign.DefaultHosts...),
		Demo:              true,
		DemoTarget:        DemoTargetPlaceholder,
		LogFormat:         "auto",
		LogLevel:          "info",
		AccessLog:         true,
		FastPath:          true,
		ShutdownTimeout:   15 * time.Second,
		CountFlush:        5 * time.Second,
		CountSites:        10000,
		PollInterval:      2 * time.Second,
		ReadHeaderTimeout: 5 * time.Second,
		CheckConcurrency:  16,
		CheckTimeout:      15 * time.Second,
		Screenshots:       "data/screenshots",
	}
}

// setting binds one field to its flag and environment variable.
type setting struct {
	flag, usage string
	set         func(*Config, string) error
	get         func(*Config) string
}

// ErrUsage wraps the flag package's parse errors (an unknown flag, a value
// that does not parse), for which a command line exits with status 2.
var ErrUsage = errors.New("bad usage")

type usageError struct{ err error }

func (e *usageError) Error() string        { return e.err.Error() }
func (e *usageError) Is(target error) bool { return target == ErrUsage }

// EnvPrefix starts every environment variable oabadge reads.
const EnvPrefix = "OABADGE_"

// Env returns the environment variable for the flag named name.
func Env(name string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

var settings = []setting{
	{"addr", "listen on this host:port",
		func(c *Config, v string) error { c.Addr = v; return nil },
		func(c *Config) string { return c.Addr }},
	{"db", "store DSN: sqlite:PATH",
		func(c *Config, v string) error { c.DB = v; return nil },
		func(c *Config) string { return c.DB }},
	{"audit-key-file", "file holding the audit trail's key, created 0600 if missing (default: audit.key beside a SQLite database; required with PostgreSQL)",
		func(c *Config, v string) error { c.AuditKeyFile = v; return nil },
		func(c *Config) string { return c.AuditKeyFile }},
	{"public-url", "external base URL written into snippets and stable QR links (default http://ADDR)",
		func(c *Config, v string) error { c.PublicURL = v; return nil },
		func(c *Config) string { return c.PublicURL }},
	{"cache-max-age", "how long browsers keep a badge image (max-age), e.g. 60s",
		func(c *Config, v string) error { return setDuration(&c.CacheMaxAge, v) },
		func(c *Config) string { return c.CacheMaxAge.String() }},
	{"cache-shared-max-age", "how long shared caches (CDN, Varnish) keep a badge image (s-maxage); auto: 24h with --purge, else as browsers",
		func(c *Config, v string) error {
			if v == "auto" {
				c.SharedMaxAge = AutoSharedMaxAge
				return nil
			}
			return setDuration(&c.SharedMaxAge, v)
		},
		func(c *Config) string {
			if c.SharedMaxAge == AutoSharedMaxAge {
				return "auto"
			}
			return c.SharedMaxAge.String()
		}},
	{"purge", `shared caches to tell when a campaign changes: comma-separated URL or "METHOD URL" (default PURGE), sent a Surrogate-Key header`,
		func(c *Config, v string) error {
			eps, err := purge.ParseEndpoints(v)
			if err != nil {
				return err
			}
			c.Purge = eps
			return nil
		},
		func(c *Config) string {
			out := make([]string, len(c.Purge))
			for i, e := range c.Purge {
				out[i] = e.String()
			}
			return strings.Join(out, ",")
		}},
	{"allow-hosts", "comma-separated hosts a target may point at",
		func(c *Config, v string) error { c.AllowHosts = splitList(v); return nil },
		func(c *Config) string { return strings.Join(c.AllowHosts, ",") }},
	{"trusted-proxies", "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is trusted",
		func(c *Config, v string) error { return setPrefixes(&c.TrustedProxies, v) },
		func(c *Config) string { return joinPrefixes(c.TrustedProxies) }},
	{"two-person", "every change (and every new admin or raised role) waits for a second admin's approval",
		func(c *Config, v string) error { return setBool(&c.TwoPerson, v) },
		func(c *Config) string { return strconv.FormatBool(c.TwoPerson) }},
	{"require-2fa", "admins must enroll a second factor (an authenticator app) and use it to sign in",
		func(c *Config, v string) error { return setBool(&c.Require2FA, v) },
		func(c *Config) string { return strconv.FormatBool(c.Require2FA) }},
	{"demo", "create the demo campaign bnv when the store has no campaign",
		func(c *Config, v string) error { return setBool(&c.Demo, v) },
		func(c *Config) string { return strconv.FormatBool(c.Demo) }},
	{"demo-target", "the demo campaign's target: set it to the real Official Account link",
		func(c *Config, v string) error { c.DemoTarget = v; return nil },
		func(c *Config) string { return c.DemoTarget }},
	{"log-format", "log format: auto, text or json",
		func(c *Config, v string) error { c.LogFormat = v; return nil },
		func(c *Config) string { return c.LogFormat }},
	{"log-level", "log level: debug, info, warn or error",
		func(c *Config, v string) error { c.LogLevel = v; return nil },
		func(c *Config) string { return c.LogLevel }},
	{"access-log", "log one line per request",
		func(c *Config, v string) error { return setBool(&c.AccessLog, v) },
		func(c *Config) string { return strconv.FormatBool(c.AccessLog) }},
	{"fast-path", "answer cached badges straight off the connection, outside net/http (the same answers, about twice the rate)",
		func(c *Config, v string) error { return setBool(&c.FastPath, v) },
		func(c *Config) string { return strconv.FormatBool(c.FastPath) }},
	{"debug-addr", "serve pprof profiles on this host:port (keep it private; empty: off)",
		func(c *Config, v string) error { c.DebugAddr = v; return nil },
		func(c *Config) string { return c.DebugAddr }},
	{"poll-interval", "how often campaigns are re-read without a change notification",
		func(c *Config, v string) error { return setDuration(&c.PollInterval, v) },
		func(c *Config) string { return c.PollInterval.String() }},
	{"count-flush", "how often impression and click counts are written, e.g. 5s",
		func(c *Config, v string) error { return setDuration(&c.CountFlush, v) },
		func(c *Config) string { return c.CountFlush.String() }},
	{"count-sites", "referring sites counted per campaign and day; the rest count as (other)",
		func(c *Config, v string) error { return setInt(&c.CountSites, v) },
		func(c *Config) string { return strconv.Itoa(c.CountSites) }},
	{"check-every", "check every agency homepage this often, e.g. 24h (0: off)",
		func(c *Config, v string) error { return setDuration(&c.CheckEvery, v) },
		func(c *Config) string { return c.CheckEvery.String() }},
	{"check-concurrency", "homepages fetched at once by a check",
		func(c *Config, v string) error { return setInt(&c.CheckConcurrency, v) },
		func(c *Config) string { return strconv.Itoa(c.CheckConcurrency) }},
	{"check-timeout", "how long one homepage fetch may take",
		func(c *Config, v string) error { return setDuration(&c.CheckTimeout, v) },
		func(c *Config) string { return c.CheckTimeout.String() }},
	{"check-allow-private", "let the checker reach loopback, private and link-local addresses (portals on an intranet)",
		func(c *Config, v string) error { return setBool(&c.CheckAllowPrivate, v) },
		func(c *Config) string { return strconv.FormatBool(c.CheckAllowPrivate) }},
	{"screenshots", "where render checks keep their screenshots",
		func(c *Config, v string) error { c.Screenshots = v; return nil },
		func(c *Config) string { return c.Screenshots }},
	{"reuse-port", "listen with SO_REUSEPORT, so a new process can take over the address before the old one stops",
		func(c *Config, v string) error { return setBool(&c.ReusePort, v) },
		func(c *Config) string { return strconv.FormatBool(c.ReusePort) }},
	{"read-header-timeout", "how long a client may take to send its request headers",
		func(c *Config, v string) error { return setDuration(&c.ReadHeaderTimeout, v) },
		func(c *Config) string { return c.ReadHeaderTimeout.String() }},
	{"drain-delay", "after SIGTERM, keep serving this long with /readyz failing, e.g. 5s behind a load balancer",
		func(c *Config, v string) error { return setDuration(&c.DrainDelay, v) },
		func(c *Config) string { return c.DrainDelay.String() }},
	{"shutdown-timeout", "how long in-flight requests may take to finish on SIGTERM",
		func(c *Config, v string) error { return setDuration(&c.ShutdownTimeout, v) },
		func(c *Config) string { return c.ShutdownTimeout.String() }},
}

// flagValue adapts a setting to flag.Value.
type flagValue struct {
	c *Config
	s setting
}

func (f flagValue) String() string {
	if f.c == nil {
		return ""
	}
	return f.s.get(f.c)
}
func (f flagValue) Set(v string) error { return f.s.set(f.c, v) }
func (f flagValue) IsBoolFlag() bool {
	switch f.s.flag {
	case "demo", "access-log", "fast-path", "two-person", "reuse-port", "require-2fa", "check-allow-private":
		return true
	}
	return false
}

// Load builds the configuration from defaults, the environment (read through
// getenv) and the flags in args, registered on fs, which it parses. names
// picks the settings a command takes (nil: all; empty: none): only those are read
// from the environment and registered as flags, so a command's -h lists
// only what it uses. Flags the caller registered on fs before are parsed
// too. It returns the remaining arguments. Every error names the setting
// at fault.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string, names []string) (Config, []string, error) {
	c := Default()
	picked := settings
	if names != nil {
		picked = []setting{}
		for _, n := range names {
			s, ok := settingNamed(n)
			if !ok {
				panic("config: no setting " + n) // a programming error, caught by tests
			}
			picked = append(picked, s)
		}
	}
	for _, s := range picked {
		v, ok, err := lookupEnv(getenv, Env(s.flag))
		if err != nil {
			return c, nil, err
		}
		if ok {
			if err := s.set(&c, v); err != nil {
				return c, nil, fmt.Errorf("%s: %w", Env(s.flag), err)
			}
		}
	}
	for _, s := range picked {
		fs.Var(flagValue{&c, s}, s.flag, s.usage+" (env "+Env(s.flag)+")")
	}
	// Flags may come before, between or after the arguments
	// (oabadge rotate bnv URL --db …), as people type them.
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return c, nil, err
			}
			return c, nil, &usageError{err}
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := c.Validate(); err != nil {
		return c, nil, err
	}
	return c, rest, nil
}

func settingNamed(name string) (setting, bool) {
	for _, s := range settings {
		if s.flag == name {
			return s, true
		}
	}
	return setting{}, false
}

// Names lists every setting's flag name, in the order -h shows them.
func Names() []string {
	out := make([]string, len(settings))
	for i, s := range settings {
		out[i] = s.flag
	}
	return out
}

// lookupEnv reads name, or the file named by name_FILE. Setting both is an
// error, since one would silently win.
func lookupEnv(getenv func(string) string, name string) (string, bool, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", false, fmt.Errorf("%s and %s_FILE are both set: keep one", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", false, fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimRight(string(b), "\r\n"), true, nil
	}
	return v, v != "", nil
}

// Validate checks every setting and returns the first problem, naming the
// flag and what would be right.
func (c *Config) Validate() error {
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return fmt.Errorf("--addr (OABADGE_ADDR) %q: want host:port, e.g. 127.0.0.1:8080 or :8080", c.Addr)
	}
	if c.DebugAddr != "" {
		if _, port, err := net.SplitHostPort(c.DebugAddr); err != nil || port == "" {
			return fmt.Errorf("--debug-addr (OABADGE_DEBUG_ADDR) %q: want host:port, e.g. 127.0.0.1:6060", c.DebugAddr)
		}
	}
	if err := c.CheckDB(); err != nil {
		return err
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("--public-url (OABADGE_PUBLIC_URL) %q: want an absolute http(s) URL with no query, e.g. https://badge.example.gov.vn", c.PublicURL)
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	if c.CacheMaxAge < 0 || c.CacheMaxAge > 7*24*time.Hour {
		return fmt.Errorf("--cache-max-age (OABADGE_CACHE_MAX_AGE) %s: want between 0s and 168h", c.CacheMaxAge)
	}
	if c.SharedMaxAge != AutoSharedMaxAge && (c.SharedMaxAge < 0 || c.SharedMaxAge > 30*24*time.Hour) {
		return fmt.Errorf("--cache-shared-max-age (OABADGE_CACHE_SHARED_MAX_AGE) %s: want auto or between 0s and 720h", c.SharedMaxAge)
	}
	if len(c.AllowHosts) == 0 {
		return errors.New("--allow-hosts (OABADGE_ALLOW_HOSTS) is empty: name at least one host, e.g. zalo.me")
	}
	for _, h := range c.AllowHosts {
		if err := campaign.CheckHost(h); err != nil {
			return fmt.Errorf("--allow-hosts (OABADGE_ALLOW_HOSTS): %w", err)
		}
	}
	if c.Demo {
		if _, err := (campaign.Policy{Hosts: c.AllowHosts}).Check(c.DemoTarget); err != nil {
			return fmt.Errorf("--demo-target (OABADGE_DEMO_TARGET) %q: %w", c.DemoTarget, err)
		}
	}
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		return fmt.Errorf("--log-format (OABADGE_LOG_FORMAT) %q: want auto, text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level (OABADGE_LOG_LEVEL) %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.PollInterval < 100*time.Millisecond || c.PollInterval > 10*time.Minute {
		return fmt.Errorf("--poll-interval (OABADGE_POLL_INTERVAL) %s: want between 100ms and 10m", c.PollInterval)
	}
	if c.CountFlush < 100*time.Millisecond || c.CountFlush > time.Hour {
		return fmt.Errorf("--count-flush (OABADGE_COUNT_FLUSH) %s: want between 100ms and 1h", c.CountFlush)
	}
	if c.CountSites < 100 || c.CountSites > 1_000_000 {
		return fmt.Errorf("--count-sites (OABADGE_COUNT_SITES) %d: want between 100 and 1000000", c.CountSites)
	}
	if c.CheckEvery != 0 && (c.CheckEvery < time.Minute || c.CheckEvery > 30*24*time.Hour) {
		return fmt.Errorf("--check-every (OABADGE_CHECK_EVERY) %s: want 0 (off) or between 1m and 720h", c.CheckEvery)
	}
	if c.CheckConcurrency < 1 || c.CheckConcurrency > 256 {
		return fmt.Errorf("--check-concurrency (OABADGE_CHECK_CONCURRENCY) %d: want between 1 and 256", c.CheckConcurrency)
	}
	if c.CheckTimeout < time.Second || c.CheckTimeout > 5*time.Minute {
		return fmt.Errorf("--check-timeout (OABADGE_CHECK_TIMEOUT) %s: want between 1s and 5m", c.CheckTimeout)
	}
	if c.ReadHeaderTimeout < 100*time.Millisecond || c.ReadHeaderTimeout > time.Minute {
		return fmt.Errorf("--read-header-timeout (OABADGE_READ_HEADER_TIMEOUT) %s: want between 100ms and 1m", c.ReadHeaderTimeout)
	}
	if c.DrainDelay < 0 || c.DrainDelay > 5*time.Minute {
		return fmt.Errorf("--drain-delay (OABADGE_DRAIN_DELAY) %s: want between 0s and 5m", c.DrainDelay)
	}
	if c.ShutdownTimeout <= 0 || c.ShutdownTimeout > 10*time.Minute {
		return fmt.Errorf("--shutdown-timeout (OABADGE_SHUTDOWN_TIMEOUT) %s: want between 1s and 10m", c.ShutdownTimeout)
	}
	return nil
}

// CheckDB checks the store DSN: sqlite:PATH or a postgres:// URL.
func (c *Config) CheckDB() error {
	switch {
	case strings.HasPrefix(c.DB, "sqlite:"):
		if p := strings.TrimPrefix(strings.TrimPrefix(c.DB, "sqlite:"), "//"); p == "" {
			return fmt.Errorf("--db (OABADGE_DB) %q: want sqlite:PATH, e.g. sqlite:data/oabadge.db", c.DB)
		}
		return nil
	case strings.HasPrefix(c.DB, "postgres://"), strings.HasPrefix(c.DB, "postgresql://"):
		if _, err := url.Parse(c.DB); err != nil {
			return fmt.Errorf("--db (OABADGE_DB): the PostgreSQL URL does not parse: %v", err)
		}
		return nil
	}
	return fmt.Errorf("--db (OABADGE_DB) %q: want sqlite:PATH (e.g. sqlite:data/oabadge.db) or postgres://USER@HOST/DB", RedactDSN(c.DB))
}

// RedactDSN hides a password in a DSN (in its user info, or a password=
// parameter) before it is printed or logged.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		if strings.Contains(strings.ToLower(dsn), "password") || strings.Contains(dsn, "@") {
			return "(a DSN that does not parse; not shown, as it may hold a password)"
		}
		return dsn
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	changed := false
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func setDuration(d *time.Duration, v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 5m or 30s", v)
	}
	*d = x
	return nil
}

func setInt(n *int, v string) error {
	x, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*n = x
	return nil
}

func setBool(b *bool, v string) error {
	x, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%q is not true or false", v)
	}
	*b = x
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func setPrefixes(dst *[]netip.Prefix, v string) error {
	var out []netip.Prefix
	for _, s := range splitList(v) {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	*dst = out
	return nil
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}
