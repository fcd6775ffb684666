package embedscript

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/js"

	"github.com/oabadge/oabadge/static"
)

var freeze = flag.Bool("freeze", false, "freeze static/embed.js as the next release")

// released is the SHA-256 of every frozen release. A released file never
// changes: webmasters pinned its bytes with their integrity value. A new
// script is a new release (go test ./internal/embedscript -run TestNewestIsTheSource -freeze),
// added here, never an edit of an old one.
var released = map[int]string{
	1: "ad5669b4f5cbf9b11e217e702874ccea6ed03bdc24aeff6398c3921780ff20e7",
	2: "d42128a3969ffa51edbe8f5d21434eaf2898d5de9ea8b93313e4dfe916589dea",
}

func TestFrozenNeverChange(t *testing.T) {
	files, err := Frozen(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(released) {
		t.Errorf("%d frozen releases, %d hashes known: add the new release's hash to released", len(files), len(released))
	}
	for _, f := range files {
		t.Run(f.Path, func(t *testing.T) {
			sum := sha256.Sum256(f.Body)
			if got := hex.EncodeToString(sum[:]); got != released[f.N] {
				t.Errorf("%s hashes to %s, want %s: a released script must never change; freeze a new release instead", f.Path, got, released[f.N])
			}
		})
	}
}

// minified is static/embed.js as a release freezes it.
func minified(t *testing.T) []byte {
	src, err := static.FS.ReadFile("embed.js")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := js.Minify(minify.New(), &out, bytes.NewReader(src), nil); err != nil {
		t.Fatalf("minifying embed.js: %v", err)
	}
	return out.Bytes()
}

// TestNewestIsTheSource makes a change of static/embed.js a new release:
// the newest frozen file must be the source, minified. With -freeze it
// writes the source as the next release.
func TestNewestIsTheSource(t *testing.T) {
	files, err := Frozen(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	newest := files[len(files)-1]
	got := minified(t)
	if bytes.Equal(got, newest.Body) {
		return
	}
	if !*freeze {
		t.Fatalf("static/embed.js differs from the newest release %s: freeze it as release %d with -freeze", newest.Path, newest.N+1)
	}
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "static", Dir, fmt.Sprintf("v%d.js", newest.N+1))
	if err := os.WriteFile(path, got, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(got)
	t.Logf("froze %s; add %d: %q to released", path, newest.N+1, hex.EncodeToString(sum[:]))
}

// TestReleasesKeepTheirNames checks that release 1 built for a public URL
// has the very name and bytes the server offered before releases were
// frozen: snippets pasted then pin these.
func TestReleasesKeepTheirNames(t *testing.T) {
	for _, c := range []struct{ url, name string }{
		{"https://badge.example.gov.vn", "v1-58799036c9.js"},
		{"http://127.0.0.1:8080", "v1-5aa25507e3.js"},
		{"https://x.gov.vn/oabadge", "v1-facfc38682.js"},
	} {
		t.Run(c.url, func(t *testing.T) {
			rs, err := Releases(c.url)
			if err != nil {
				t.Fatal(err)
			}
			if rs[0].Name != c.name {
				t.Errorf("release 1 for %s is named %s, want %s", c.url, rs[0].Name, c.name)
			}
			if !bytes.Contains(rs[0].Body, []byte(`"`+c.url+`"`)) {
				t.Errorf("release 1 for %s does not carry the URL", c.url)
			}
			for _, r := range rs[1:] {
				if bytes.Contains(r.Body, []byte(c.url)) {
					t.Errorf("%s carries the public URL; releases after 1 read it from their own address", r.Name)
				}
			}
			for _, r := range rs {
				if err := r.Check(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	a, _ := Releases("https://a.example")
	b, _ := Releases("https://b.example")
	if a[len(a)-1].Name != b[len(b)-1].Name {
		t.Errorf("the newest release is named %s for one URL and %s for another", a[len(a)-1].Name, b[len(b)-1].Name)
	}
}

func TestRelease(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		ok   bool
	}{
		{"v1-58799036c9.js", 1, true},
		{"v12-0123456789.js", 12, true},
		{"v0-0123456789.js", 0, false},
		{"v1-58799036C9.js", 0, false},
		{"v1-58799036c.js", 0, false},
		{"v1-58799036c9.jsx", 0, false},
		{"v-58799036c9.js", 0, false},
		{"vx-58799036c9.js", 0, false},
		{"v12345-0123456789.js", 0, false},
		{"embed.js", 0, false},
		{"", 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if n, ok := Release(c.name); n != c.n || ok != c.ok {
				t.Errorf("Release(%q) = %d, %v; want %d, %v", c.name, n, ok, c.n, c.ok)
			}
		})
	}
}
