package compress_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/oabadge/oabadge/internal/compress"
)

func TestAccepts(t *testing.T) {
	for _, tt := range []struct {
		name   string
		header []string
		br, gz bool
	}{
		{"none", nil, false, false},
		{"empty", []string{""}, false, false},
		{"browser", []string{"gzip, deflate, br, zstd"}, true, true},
		{"gzip only", []string{"gzip"}, false, true},
		{"x-gzip", []string{"x-gzip"}, false, true},
		{"case and spaces", []string{"  GZip ;Q=1 ,  BR  "}, true, true},
		{"br refused", []string{"gzip, br;q=0"}, false, true},
		{"q zero forms", []string{"br;q=0.000, gzip;q=0."}, false, false},
		{"q small but not zero", []string{"br;q=0.001, gzip;q=0.5"}, true, true},
		{"star", []string{"*"}, true, true},
		{"star refused", []string{"*;q=0"}, false, false},
		{"star but br refused", []string{"*, br;q=0"}, false, true},
		{"named beats star either order", []string{"br;q=0", "*"}, false, true},
		{"identity only", []string{"identity"}, false, false},
		{"several lines", []string{"deflate", "br"}, true, false},
		{"other parameters", []string{"gzip;level=9;q=0"}, false, false},
		{"bad weight", []string{"gzip;q=zero"}, false, true},
		{"not a prefix match", []string{"gzipx, brr"}, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			br, gz := compress.Accepts(tt.header)
			if br != tt.br || gz != tt.gz {
				t.Errorf("Accepts(%q) = br %v, gzip %v; want %v, %v", tt.header, br, gz, tt.br, tt.gz)
			}
		})
	}
}

func sample() []byte {
	return bytes.Repeat([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect x="1" y="2" width="3" height="4"/></svg>`), 40)
}

func TestCompressedDecodesToTheSameBytes(t *testing.T) {
	raw := sample()
	s := compress.Compressed(raw)
	if !s.Compressible() {
		t.Fatal("Compressed kept no compressed form of a repetitive body")
	}
	decode := map[compress.Coding]func(io.Reader) (io.Reader, error){
		compress.Gzip:   func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		compress.Brotli: func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
	}
	tags := map[string]compress.Coding{s.Identity().ETag(): compress.Identity}
	for c, dec := range decode {
		b := s.Get(c)
		if b == nil || len(b.Bytes) >= len(raw) {
			t.Fatalf("Get(%s) = %v, want a smaller body", c, b)
		}
		r, err := dec(bytes.NewReader(b.Bytes))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s body decodes to %d bytes (%v), want the %d raw bytes", c, len(got), err, len(raw))
		}
		if b.LengthValues()[0] != strconv.Itoa(len(b.Bytes)) || b.EncodingValues()[0] != c.String() {
			t.Errorf("%s: Content-Length %v, Content-Encoding %v", c, b.LengthValues(), b.EncodingValues())
		}
		if other, dup := tags[b.ETag()]; dup {
			t.Errorf("%s and %s share the ETag %s", c, other, b.ETag())
		}
		tags[b.ETag()] = c
		if !strings.HasPrefix(b.ETag(), `"`) || !strings.HasSuffix(b.ETag(), `"`) {
			t.Errorf("%s: ETag %s is not a quoted strong tag", c, b.ETag())
		}
	}
	if s.Identity().EncodingValues() != nil {
		t.Errorf("the identity body has Content-Encoding %v", s.Identity().EncodingValues())
	}
}

func TestSmallAndPlainBodiesStayAsTheyAre(t *testing.T) {
	for name, s := range map[string]*compress.Set{
		"small": compress.Compressed([]byte("<svg/>")),
		"plain": compress.Plain(sample()),
	} {
		t.Run(name, func(t *testing.T) {
			if s.Compressible() || s.Get(compress.Gzip) != nil || s.Get(compress.Brotli) != nil {
				t.Errorf("the set holds compressed forms")
			}
			if b := s.For([]string{"br, gzip"}); b != s.Identity() {
				t.Errorf("For(br, gzip) = %s, want the identity", b.Coding)
			}
		})
	}
}

func TestForPrefersBrotliThenGzip(t *testing.T) {
	s := compress.Compressed(sample())
	for _, tt := range []struct {
		accept string
		want   compress.Coding
	}{
		{"gzip, br", compress.Brotli},
		{"br;q=0.1, gzip;q=1", compress.Brotli},
		{"gzip", compress.Gzip},
		{"br;q=0, gzip", compress.Gzip},
		{"deflate", compress.Identity},
		{"", compress.Identity},
	} {
		if got := s.For([]string{tt.accept}).Coding; got != tt.want {
			t.Errorf("For(%q) = %s, want %s", tt.accept, got, tt.want)
		}
	}
}

func TestForDoesNotAllocate(t *testing.T) {
	s := compress.Compressed(sample())
	h := []string{"gzip, deflate, br;q=0.9, zstd", "*;q=0.1"}
	if n := testing.AllocsPerRun(100, func() { _ = s.For(h) }); n != 0 {
		t.Errorf("For allocates %v times per call, want 0", n)
	}
}

// BenchmarkFor measures picking a coding for a browser's Accept-Encoding.
func BenchmarkFor(b *testing.B) {
	s := compress.Compressed(sample())
	h := []string{"gzip, deflate, br, zstd"}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.For(h)
	}
}
