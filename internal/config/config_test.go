package config_test

import (
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/config"
)

func load(t *testing.T, args []string, env map[string]string) (config.Config, []string, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Load(fs, args, func(k string) string { return env[k] }, nil)
}

func TestDefaults(t *testing.T) {
	c, rest, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	if !reflect.DeepEqual(c, want) || len(rest) != 0 {
		t.Errorf("Load() = %+v, %v; want the defaults %+v", c, rest, want)
	}
	if c.Addr != "127.0.0.1:8080" || c.DB != "sqlite:data/oabadge.db" || c.CacheMaxAge != time.Minute {
		t.Errorf("defaults changed: %+v", c)
	}
}

// TestPrecedence: defaults, then environment, then flags.
func TestPrecedence(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "db")
	if err := os.WriteFile(secret, []byte("sqlite:/srv/from-file.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"OABADGE_ADDR":            ":9000",
		"OABADGE_DB_FILE":         secret,
		"OABADGE_PUBLIC_URL":      "https://badge.example.gov.vn/",
		"OABADGE_ALLOW_HOSTS":     "zalo.me, oa.zalo.me ,example.org",
		"OABADGE_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7",
		"OABADGE_ACCESS_LOG":      "false",
	}
	c, rest, err := load(t, []string{"--addr", "127.0.0.1:9001", "--cache-max-age", "90s", "rest"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9001" {
		t.Errorf("Addr = %q: the flag must win over the environment", c.Addr)
	}
	if c.DB != "sqlite:/srv/from-file.db" {
		t.Errorf("DB = %q, want it read from OABADGE_DB_FILE without the newline", c.DB)
	}
	if c.PublicURL != "https://badge.example.gov.vn" {
		t.Errorf("PublicURL = %q, want the trailing slash trimmed", c.PublicURL)
	}
	if !reflect.DeepEqual(c.AllowHosts, []string{"zalo.me", "oa.zalo.me", "example.org"}) {
		t.Errorf("AllowHosts = %q", c.AllowHosts)
	}
	if want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}; !reflect.DeepEqual(c.TrustedProxies, want) {
		t.Errorf("TrustedProxies = %v, want %v", c.TrustedProxies, want)
	}
	if c.AccessLog || c.CacheMaxAge != 90*time.Second {
		t.Errorf("AccessLog = %v, CacheMaxAge = %v", c.AccessLog, c.CacheMaxAge)
	}
	if len(rest) != 1 || rest[0] != "rest" {
		t.Errorf("rest = %q", rest)
	}
}

func TestCheckDB(t *testing.T) {
	for _, dsn := range []string{"sqlite:data/x.db", "sqlite:///abs/x.db", "postgres://u@127.0.0.1/db?sslmode=disable", "postgresql://u:p@h/db"} {
		c := config.Config{DB: dsn}
		if err := c.CheckDB(); err != nil {
			t.Errorf("CheckDB(%q) = %v", dsn, err)
		}
	}
	for _, dsn := range []string{"sqlite:", "mysql://x", "data.db"} {
		c := config.Config{DB: dsn}
		if err := c.CheckDB(); err == nil {
			t.Errorf("CheckDB(%q) accepted", dsn)
		}
	}
}

// TestCountSitesAndAuditKeyFile: the two settings of the audit and
// counting bounds, from the environment and flags, and their checks.
func TestCountSitesAndAuditKeyFile(t *testing.T) {
	c, _, err := load(t, []string{"--count-sites", "500"}, map[string]string{"OABADGE_AUDIT_KEY_FILE": "/run/secrets/audit.key", "OABADGE_COUNT_SITES": "200"})
	if err != nil || c.CountSites != 500 || c.AuditKeyFile != "/run/secrets/audit.key" {
		t.Errorf("Load = %+v, %v; want count-sites 500 from the flag and the key file from the environment", c, err)
	}
	if d := config.Default(); d.CountSites != 10000 || d.AuditKeyFile != "" {
		t.Errorf("defaults: count-sites %d, audit-key-file %q; want 10000 and none (beside the database)", d.CountSites, d.AuditKeyFile)
	}
	for _, v := range []string{"99", "1000001", "lots"} {
		t.Run(v, func(t *testing.T) {
			if _, _, err := load(t, []string{"--count-sites", v}, nil); err == nil {
				t.Errorf("--count-sites %s accepted", v)
			}
		})
	}
}

func TestRedactDSN(t *testing.T) {
	for _, tt := range []struct{ in, gone string }{
		{"postgres://oabadge:s3cret-pw@db.internal/oabadge", "s3cret-pw"},
		{"postgres://oabadge@db.internal/oabadge?password=s3cret-pw&sslmode=require", "s3cret-pw"},
		{"postgresql://u:p%40ss@h:5432/d", "p%40ss"},
		{"postgres://u:s3cret@[bad", "s3cret"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := config.RedactDSN(tt.in); strings.Contains(got, tt.gone) {
				t.Errorf("RedactDSN(%q) = %q, still shows the password", tt.in, got)
			}
		})
	}
	if got := config.RedactDSN("sqlite:data/oabadge.db"); got != "sqlite:data/oabadge.db" {
		t.Errorf("RedactDSN changed a SQLite DSN: %q", got)
	}
}

// TestCacheLifetimesAndPurge: the shared caches' lifetime follows whether
// they are purged, unless set; purge endpoints are checked as they are read.
func TestCacheLifetimesAndPurge(t *testing.T) {
	c, _, err := load(t, nil, nil)
	if age, send := c.SharedCacheAge(); err != nil || send || age != 0 {
		t.Errorf("default: s-maxage %v sent %v (%v); want none without purging", age, send, err)
	}
	c, _, err = load(t, nil, map[string]string{"OABADGE_PURGE": "http://127.0.0.1:6081/, BAN http://10.0.0.5/ban"})
	if age, send := c.SharedCacheAge(); err != nil || !send || age != 24*time.Hour || len(c.Purge) != 2 || c.Purge[1].Method != "BAN" {
		t.Errorf("with --purge: s-maxage %v sent %v, purge %v (%v); want a day and two endpoints", age, send, c.Purge, err)
	}
	c, _, err = load(t, []string{"--cache-shared-max-age", "0s"}, map[string]string{"OABADGE_PURGE": "http://127.0.0.1:6081/"})
	if age, send := c.SharedCacheAge(); err != nil || !send || age != 0 {
		t.Errorf("--cache-shared-max-age 0s: s-maxage %v sent %v (%v); want 0, sent", age, send, err)
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"--purge", "varnish:6081"}},
		{[]string{"--purge", "ftp://cache/"}},
		{[]string{"--purge", "PU/RGE http://cache/"}},
		{[]string{"--cache-shared-max-age", "-1s"}},
		{[]string{"--cache-shared-max-age", "800h"}},
		{[]string{"--cache-shared-max-age", "a day"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := load(t, tc.args, nil)
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tc.args[0], "--")) {
				t.Errorf("%q: %v, want an error naming the setting", tc.args, err)
			}
		})
	}
}
