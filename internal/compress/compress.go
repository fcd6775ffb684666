// Package compress keeps the compressed forms of a body that is served
// many times (a badge, a campaign's JSON, a script), made once when the
// body is made, and picks the one a request accepts without allocating.
//
// Compressing on every request would cost far more than serving the
// bytes; a badge is rendered once per campaign version and served
// millions of times, so its gzip and brotli forms are made with it, at the
// highest levels, and each gets its own strong ETag and length.
//
// Brotli is github.com/andybalholm/brotli, a maintained pure-Go port of
// Google's encoder (no cgo, so the binary still builds with
// CGO_ENABLED=0); gzip is the standard library's.
package compress

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"math/bits"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
)

// Coding is a content coding.
type Coding uint8

// The codings, in the order a server prefers them when a client accepts
// several: brotli is the smallest, gzip is understood by every client.
const (
	Identity Coding = iota
	Gzip
	Brotli
	numCodings
)

// String returns the coding's name as Content-Encoding spells it
// ("identity" for none).
func (c Coding) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Brotli:
		return "br"
	}
	return "identity"
}

// Body is one coding of a body with the header values that go with it,
// built once so a response can point at them without allocating. A Body
// is immutable and shared: callers must not modify it or its slices.
type Body struct {
	// Coding is how Bytes are encoded.
	Coding Coding
	// Bytes are the bytes to send.
	Bytes []byte

	etag     [1]string // quoted strong validator of Bytes
	length   [1]string // len(Bytes) in decimal
	encoding [1]string // Content-Encoding; unused for Identity
}

// ETag returns the body's strong entity tag, quoted. Each coding has its
// own: a cache that stored the gzip bytes must not be told its copy is
// current when it asks about the identity ones.
func (b *Body) ETag() string { return b.etag[0] }

// ETagValues returns ETag as a shared one-element slice, for a header map.
func (b *Body) ETagValues() []string { return b.etag[:] }

// LengthValues returns len(Bytes) in decimal as a shared one-element slice.
func (b *Body) LengthValues() []string { return b.length[:] }

// EncodingValues returns the Content-Encoding value as a shared
// one-element slice, or nil for Identity (which is sent without one).
func (b *Body) EncodingValues() []string {
	if b.Coding == Identity {
		return nil
	}
	return b.encoding[:]
}

// Tag returns the strong entity tag this package gives b: the first 18
// bytes of its SHA-256, in unpadded base64url, quoted.
func Tag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

func newBody(c Coding, b []byte) *Body {
	x := &Body{Coding: c, Bytes: b}
	x.etag[0] = Tag(b)
	x.length[0] = strconv.Itoa(len(b))
	x.encoding[0] = c.String()
	return x
}

// Set is a body in every coding worth sending. It is immutable and safe
// for concurrent use.
type Set struct {
	bodies [numCodings]*Body
}

// MinSize is the smallest body Compressed compresses: below it the
// headers cost more than compression saves.
const MinSize = 256

// Compressed returns b with its gzip (best compression) and brotli
// (quality 11) forms, each kept only when it is smaller than b. It takes
// milliseconds for tens of KiB: call it once per body, when the body is
// made, never per request. b must not be modified afterwards.
func Compressed(b []byte) *Set {
	s := Plain(b)
	if len(b) < MinSize {
		return s
	}
	if z := gzipped(b); len(z) < len(b) {
		s.bodies[Gzip] = newBody(Gzip, z)
	}
	if z := brotlied(b); len(z) < len(b) {
		s.bodies[Brotli] = newBody(Brotli, z)
	}
	return s
}

// Plain returns b alone, for bodies that are compressed already (PNG).
func Plain(b []byte) *Set {
	s := &Set{}
	s.bodies[Identity] = newBody(Identity, b)
	return s
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	w, _ := gzip.NewWriterLevel(&out, gzip.BestCompression) // the level is valid
	w.Write(b)                                              // writes to a bytes.Buffer do not fail
	w.Close()
	return out.Bytes()
}

// brotlied compresses b at quality 11 with a window just large enough for
// b: the encoder's memory, and most of its time on small bodies, grows
// with the window, and a larger one cannot find longer matches in b.
func brotlied(b []byte) []byte {
	var out bytes.Buffer
	w := brotli.NewWriterOptions(&out, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: min(24, max(10, bits.Len(uint(len(b)))))})
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// Identity returns the uncompressed body.
func (s *Set) Identity() *Body { return s.bodies[Identity] }

// Get returns the body in coding c, or nil when the set does not hold it.
func (s *Set) Get(c Coding) *Body {
	if c >= numCodings {
		return nil
	}
	return s.bodies[c]
}

// Compressible reports whether the set holds any compressed form, that
// is whether responses with it vary by Accept-Encoding.
func (s *Set) Compressible() bool { return s.bodies[Gzip] != nil || s.bodies[Brotli] != nil }

// For returns the body to send to a request whose Accept-Encoding header
// lines are accept: brotli if accepted and held, else gzip, else the
// identity. It does not allocate.
func (s *Set) For(accept []string) *Body {
	if !s.Compressible() {
		return s.bodies[Identity]
	}
	br, gz := Accepts(accept)
	if br && s.bodies[Brotli] != nil {
		return s.bodies[Brotli]
	}
	if gz && s.bodies[Gzip] != nil {
		return s.bodies[Gzip]
	}
	return s.bodies[Identity]
}

// Accepts parses Accept-Encoding header lines (RFC 9110 12.5.3) and
// reports whether brotli and gzip are acceptable: named (gzip also as
// x-gzip) or covered by "*", with a weight above zero. A coding given
// "q=0" is refused even when "*" would allow it. It does not allocate.
func Accepts(lines []string) (br, gz bool) {
	var brQ, gzQ, anyQ int8 = -1, -1, -1 // -1 unnamed, 0 refused, 1 accepted
	for _, line := range lines {
		for line != "" {
			var item string
			item, line, _ = strings.Cut(line, ",")
			name, params, _ := strings.Cut(item, ";")
			name = strings.TrimSpace(name)
			q := int8(1)
			if zeroWeight(params) {
				q = 0
			}
			switch {
			case strings.EqualFold(name, "br"):
				brQ = q
			case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
				gzQ = q
			case name == "*":
				anyQ = q
			}
		}
	}
	if brQ < 0 {
		brQ = anyQ
	}
	if gzQ < 0 {
		gzQ = anyQ
	}
	return brQ > 0, gzQ > 0
}

// zeroWeight reports whether an Accept-Encoding item's parameters give it
// q=0 (also written 0., 0.0, 0.00 or 0.000).
func zeroWeight(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" || v[0] != '0' {
			return false
		}
		v = v[1:]
		if v == "" {
			return true
		}
		if v[0] != '.' {
			return false
		}
		return strings.Trim(v[1:], "0") == ""
	}
	return false
}
