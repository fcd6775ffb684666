// Package embedscript keeps every embed script oabadge has offered
// webmasters. A webmaster pastes a snippet once and never comes back, so a
// pinned script URL (/embed/v{N}-{hash}.js, with its Subresource Integrity
// value) must answer with the same bytes for as long as the server runs,
// across upgrades and changes of the public URL. Two things make that so:
//
//   - every released script is frozen in the binary (static/embed/released),
//     its hash checked by a test, and built at start for the current public
//     URL (release 1 has the URL written into its bytes; later ones read it
//     from their own address, so their name depends on their bytes alone);
//   - every script offered is remembered by the store (Store), name and
//     exact bytes, so names built for an earlier public URL or by an
//     earlier binary keep answering.
package embedscript

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oabadge/oabadge/static"
)

// Script is one embed script as served under /embed/{Name}.
type Script struct {
	// Name is v{N}-{hash}.js: the release number and the first ten hex
	// digits of the SHA-256 of Body.
	Name string
	// Body is the exact bytes served. Callers must not modify it.
	Body []byte
	// Integrity is the Subresource Integrity value of Body (sha384-…).
	Integrity string
	// FirstOffered is when a store first remembered the script; zero for
	// a script not stored yet.
	FirstOffered time.Time
}

// Store remembers every script offered, so its name answers forever.
type Store interface {
	// OfferEmbedScript stores sc unless a script of that name is stored
	// already, and returns the stored script: the first offer's time wins.
	OfferEmbedScript(ctx context.Context, sc Script) (Script, error)
	// EmbedScript returns the stored script named name, or a NotFound error.
	EmbedScript(ctx context.Context, name string) (Script, error)
	// EmbedScripts returns every stored script, first offered first.
	EmbedScripts(ctx context.Context) ([]Script, error)
}

// New names body as release n and computes its integrity value.
func New(n int, body []byte) Script {
	sum := sha256.Sum256(body)
	sri := sha512.Sum384(body)
	return Script{
		Name:      "v" + strconv.Itoa(n) + "-" + hex.EncodeToString(sum[:5]) + ".js",
		Body:      body,
		Integrity: "sha384-" + base64.StdEncoding.EncodeToString(sri[:]),
	}
}

// Check reports whether sc's name and integrity value are those of its
// bytes, for scripts read back from a store.
func (sc Script) Check() error {
	n, ok := Release(sc.Name)
	if !ok {
		return fmt.Errorf("embed script name %q is not v{N}-{hash}.js", sc.Name)
	}
	if want := New(n, sc.Body); want.Name != sc.Name || want.Integrity != sc.Integrity {
		return fmt.Errorf("embed script %s: its bytes hash to %s, %s", sc.Name, want.Name, want.Integrity)
	}
	return nil
}

// Release returns the release number of a well-formed script name:
// v{N}-{ten hex digits}.js. It does not allocate.
func Release(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "v")
	if !ok {
		return 0, false
	}
	num, rest, ok := strings.Cut(rest, "-")
	if !ok || len(num) == 0 || len(num) > 4 || len(rest) != 13 || !strings.HasSuffix(rest, ".js") {
		return 0, false
	}
	n := 0
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return 0, false
		}
		n = n*10 + int(num[i]-'0')
	}
	for i := 0; i < 10; i++ {
		if c := rest[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return 0, false
		}
	}
	return n, n > 0
}

// Dir is where the released scripts are frozen in static.FS: v{N}.js,
// minified, never changed once released.
const Dir = "embed/released"

// publicURLMark is what release 1 has where the public URL goes: a string
// literal, replaced by the URL as a JSON string, which is also a valid,
// escaped JavaScript string.
var publicURLMark = []byte(`"{{PUBLIC_URL}}"`)

// Releases returns every frozen release built for publicURL, oldest
// first: the last is the newest, the one to offer.
func Releases(publicURL string) ([]Script, error) {
	return releases(static.FS, publicURL)
}

func releases(fsys fs.FS, publicURL string) ([]Script, error) {
	files, err := Frozen(fsys)
	if err != nil {
		return nil, err
	}
	lit, err := json.Marshal(publicURL)
	if err != nil {
		return nil, err
	}
	out := make([]Script, 0, len(files))
	for _, f := range files {
		out = append(out, New(f.N, bytes.Replace(f.Body, publicURLMark, lit, 1)))
	}
	return out, nil
}

// FrozenFile is a released script as frozen in the binary, before the
// public URL is written in.
type FrozenFile struct {
	N    int
	Path string
	Body []byte
}

// Frozen reads the frozen releases in fsys, oldest first. Their numbers
// must run 1, 2, … without a gap.
func Frozen(fsys fs.FS) ([]FrozenFile, error) {
	names, err := fs.Glob(fsys, Dir+"/v*.js")
	if err != nil {
		return nil, err
	}
	var out []FrozenFile
	for _, name := range names {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path.Base(name), "v"), ".js"))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("frozen embed script %s: want v{N}.js", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, FrozenFile{N: n, Path: name, Body: b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].N < out[j].N })
	for i, f := range out {
		if f.N != i+1 {
			return nil, fmt.Errorf("frozen embed scripts: release %d is missing", i+1)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no frozen embed scripts in %s", Dir)
	}
	return out, nil
}
