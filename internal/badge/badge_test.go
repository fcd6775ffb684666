package badge_test

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"flag"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/oabadge/oabadge/internal/badge"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var demo = badge.Content{
	Code:    "https://zalo.me/0000000000000000000",
	Title:   "Zalo OA Bộ Nội vụ",
	Caption: "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ",
}

// TestEveryVariantScans decodes every layout, theme, size, density and
// format with an independent decoder and expects the content back byte for byte.
func TestEveryVariantScans(t *testing.T) {
	contents := []string{
		demo.Code,
		"", // the longest that fits, made below
	}
	contents[1] = "https://oa.zalo.me/home?id=1234567890123456789&utm_source=portal&utm_medium=badge&x="
	contents[1] += strings.Repeat("9", badge.MaxContentBytes-len(contents[1]))
	if n := len(contents[1]); n != badge.MaxContentBytes {
		t.Fatalf("test content is %d bytes, want exactly MaxContentBytes (%d)", n, badge.MaxContentBytes)
	}
	for _, code := range contents {
		for _, v := range badge.Variants() {
			t.Run(fmt.Sprintf("%d/%s", len(code), v), func(t *testing.T) {
				t.Parallel()
				c := demo
				c.Code = code
				b, err := badge.Render(c, v)
				if err != nil {
					t.Fatalf("Render(%s): %v", v, err)
				}
				if got := decode(t, v.Format.String(), b); got != code {
					t.Errorf("Render(%s) decodes to %q, want %q", v, got, code)
				}
			})
		}
	}
}

// TestDimensions checks that the image is exactly the box Dimensions
// promises (times the density), since embed snippets reserve that box.
func TestDimensions(t *testing.T) {
	for _, v := range badge.Variants() {
		b, err := badge.Render(demo, v)
		if err != nil {
			t.Fatalf("Render(%s): %v", v, err)
		}
		w, h := v.Dimensions()
		gw, gh := imageSize(t, v.Format, b)
		if gw != w*v.Density || gh != h*v.Density {
			t.Errorf("Render(%s) is %dx%d, want %dx%d", v, gw, gh, w*v.Density, h*v.Density)
		}
	}
}

// imageSize reads an image's pixel size from its header (PNG) or its root
// element's width and height (SVG).
func imageSize(t testing.TB, f badge.Format, b []byte) (int, int) {
	t.Helper()
	if f == badge.PNG {
		c, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("png.DecodeConfig: %v", err)
		}
		return c.Width, c.Height
	}
	var root struct {
		Width   int    `xml:"width,attr"`
		Height  int    `xml:"height,attr"`
		ViewBox string `xml:"viewBox,attr"`
	}
	if err := xml.Unmarshal(b, &root); err != nil {
		t.Fatalf("xml.Unmarshal: %v", err)
	}
	if want := fmt.Sprintf("0 0 %d %d", root.Width, root.Height); root.ViewBox != want {
		t.Fatalf("viewBox = %q, want %q", root.ViewBox, want)
	}
	return root.Width, root.Height
}

func TestNFCAndNFDRenderTheSameBytes(t *testing.T) {
	nfd := badge.Content{Code: demo.Code, Title: norm.NFD.String(demo.Title), Caption: norm.NFD.String(demo.Caption)}
	if nfd.Caption == demo.Caption {
		t.Fatal("the NFD caption equals the NFC one: the test would prove nothing")
	}
	for _, v := range badge.Variants() {
		if v.Size > 256 {
			continue
		}
		a, err := badge.Render(demo, v)
		if err != nil {
			t.Fatal(err)
		}
		b, err := badge.Render(nfd, v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("Render(%s): NFD caption gives different bytes from NFC", v)
		}
	}
}

// TestSVGIsSafe renders hostile text and checks the SVG is well-formed, has
// only the elements the renderer writes, and carries the text as text.
func TestSVGIsSafe(t *testing.T) {
	hostile := []string{
		`<script>alert(1)</script>`,
		`"><svg onload=alert(1)>`,
		`]]><foreignObject><iframe src="javascript:alert(1)"/></foreignObject>`,
		"a\x00b\x1bc\u202ed\ufeffe", // NUL, ESC, bidi override, BOM
		`' & " < > &amp;`,
	}
	for _, h := range hostile {
		for _, l := range []badge.Layout{badge.LayoutBadge, badge.LayoutCard} {
			v := badge.Variant{Format: badge.SVG, Layout: l, Size: 512, Density: 1}
			b, err := badge.Render(badge.Content{Code: demo.Code, Title: h, Caption: h}, v)
			if err != nil {
				t.Fatalf("Render(%q): %v", h, err)
			}
			checkSVG(t, b)
			if !bytes.Contains(b, []byte("aria-label=")) || !bytes.Contains(b, []byte(`role="img"`)) {
				t.Errorf("Render(%q): no role or aria-label", h)
			}
		}
	}
}

// allowed are the only SVG elements and attributes the renderer writes.
var allowed = map[string]map[string]bool{
	"svg":   {"xmlns": true, "xlink": true, "width": true, "height": true, "viewBox": true, "role": true, "aria-label": true},
	"title": {},
	"defs":  {},
	"rect":  {"x": true, "y": true, "width": true, "height": true, "rx": true, "fill": true, "stroke": true, "stroke-width": true},
	"path":  {"id": true, "stroke": true, "stroke-width": true, "shape-rendering": true, "d": true},
	"g":     {"fill": true, "transform": true},
	"use":   {"href": true, "x": true},
	"image": {"x": true, "y": true, "width": true, "height": true, "href": true},
}

func checkSVG(t testing.TB, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	used, defined := map[string]bool{}, map[string]bool{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			for id := range used {
				if !defined[id] {
					t.Fatalf("SVG uses #%s, which it does not define", id)
				}
			}
			return
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, b)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			attrs, ok := allowed[x.Name.Local]
			if !ok {
				t.Fatalf("SVG has element <%s>\n%s", x.Name.Local, b)
			}
			for _, a := range x.Attr {
				// Text attributes may say anything (it is escaped text); no
				// attribute that could hold a URL or a handler is allowed.
				if !attrs[a.Name.Local] {
					t.Fatalf("SVG element <%s> has attribute %s=%q\n%s", x.Name.Local, a.Name.Local, a.Value, b)
				}
				if a.Name.Local != "href" {
					continue
				}
				// The only links: a glyph in this document, an embedded PNG.
				switch {
				case x.Name.Local == "use" && strings.HasPrefix(a.Value, "#"):
					used[a.Value[1:]] = true
				case x.Name.Local == "image" && strings.HasPrefix(a.Value, "data:image/png;base64,"):
				default:
					t.Fatalf("SVG element <%s> links to %.40q", x.Name.Local, a.Value)
				}
			}
			if x.Name.Local == "path" {
				for _, a := range x.Attr {
					if a.Name.Local == "id" {
						defined[a.Value] = true
					}
				}
			}
		case xml.ProcInst, xml.Directive:
			t.Fatalf("SVG has a processing instruction or directive\n%s", b)
		}
	}
}

// TestLongTextStaysInside renders very long captions and titles and checks
// with the renderer's own layout that no line leaves the badge.
func TestLongTextStaysInside(t *testing.T) {
	long := strings.Repeat("Ủy ban nhân dân tỉnh Hưng Yên ", 12)
	word := strings.Repeat("Nghịđịnh", 30) // one word wider than any badge
	for _, text := range []string{long, word} {
		for _, v := range badge.Variants() {
			if v.Layout == badge.LayoutQR || v.Format != badge.SVG {
				continue
			}
			lines, err := badge.TextBoxes(badge.Content{Code: demo.Code, Title: text, Caption: text}, v)
			if err != nil {
				t.Fatalf("TextBoxes(%s): %v", v, err)
			}
			w, h := v.Dimensions()
			for _, l := range lines {
				if l.Min.X < 0 || l.Max.X > float64(w) || l.Min.Y < 0 || l.Max.Y > float64(h) {
					t.Errorf("%s: line %q spans %v, outside the %dx%d badge", v, l.Text, l, w, h)
				}
			}
			if len(lines) == 0 {
				t.Errorf("%s: no text drawn", v)
			}
		}
	}
}

func TestRenderRefuses(t *testing.T) {
	good := badge.DefaultVariant(badge.SVG)
	tests := []struct {
		name string
		c    badge.Content
		v    badge.Variant
	}{
		{"empty content", badge.Content{Caption: "x"}, good},
		{"content too long", badge.Content{Code: "https://zalo.me/" + strings.Repeat("a", badge.MaxContentBytes)}, good},
		{"invalid UTF-8", badge.Content{Code: "https://zalo.me/\xff"}, good},
		{"size off the list", demo, badge.Variant{Size: 200, Density: 1}},
		{"size absurd", demo, badge.Variant{Size: 1 << 30, Density: 1}},
		{"density on svg", demo, badge.Variant{Size: 192, Density: 2}},
		{"density off the list", demo, badge.Variant{Format: badge.PNG, Size: 192, Density: 3}},
		{"small card", demo, badge.Variant{Layout: badge.LayoutCard, Size: 128, Density: 1}},
		{"unknown theme", demo, badge.Variant{Theme: 9, Size: 192, Density: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := badge.Render(tt.c, tt.v); err == nil {
				t.Errorf("Render(%+v, %s) = %d bytes, want an error", tt.c, tt.v, len(b))
			}
		})
	}
}

func TestVariantIndex(t *testing.T) {
	seen := map[int]badge.Variant{}
	for _, v := range badge.Variants() {
		i := v.Index()
		if i < 0 || i >= badge.NumVariants {
			t.Fatalf("%s.Index() = %d, outside [0, %d)", v, i, badge.NumVariants)
		}
		if w, dup := seen[i]; dup {
			t.Fatalf("%s and %s share index %d", v, w, i)
		}
		seen[i] = v
	}
	if (badge.Variant{Size: 200, Density: 1}).Index() != -1 {
		t.Error("an invalid size has an index")
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		ok   bool
	}{{"192", 192, true}, {"1024", 1024, true}, {"0192", 192, true}, {"200", 0, false}, {"-192", 0, false}, {"", 0, false}, {"999999999999", 0, false}, {"19 2", 0, false}} {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := badge.ParseSize(tt.in)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("ParseSize(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
	if _, ok := badge.ParseTheme("Dark"); ok {
		t.Error(`ParseTheme("Dark") accepted: values are case-sensitive so cache keys stay canonical`)
	}
}

// TestGolden pins the bytes of a representative set of variants. Run
// `go test ./internal/badge -run Golden -update` after an intended change
// and look at the new files before committing them.
func TestGolden(t *testing.T) {
	for _, f := range []badge.Format{badge.SVG, badge.PNG} {
		for _, l := range []badge.Layout{badge.LayoutQR, badge.LayoutBadge, badge.LayoutCard} {
			for _, th := range []badge.Theme{badge.ThemeLight, badge.ThemeDark, badge.ThemeMono} {
				v := badge.Variant{Format: f, Layout: l, Theme: th, Size: 256, Density: 1}
				name := fmt.Sprintf("%s-%s-%d.%s", l, th, v.Size, f)
				t.Run(name, func(t *testing.T) {
					got, err := badge.Render(demo, v)
					if err != nil {
						t.Fatal(err)
					}
					path := filepath.Join("testdata", "golden", name)
					if *update {
						if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(path, got, 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(path)
					if err != nil {
						t.Fatalf("%v (run with -update to create it)", err)
					}
					if !sameImage(t, f, got, want) {
						t.Errorf("Render(%s) differs from %s (run with -update if the change is intended)", v, path)
					}
				})
			}
		}
	}
}

func BenchmarkRender(b *testing.B) {
	for _, f := range []badge.Format{badge.SVG, badge.PNG} {
		for _, l := range []badge.Layout{badge.LayoutQR, badge.LayoutBadge, badge.LayoutCard} {
			v := badge.Variant{Format: f, Layout: l, Size: 256, Density: 1}
			b.Run(fmt.Sprintf("%s/%s/256", f, l), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := badge.Render(demo, v); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func FuzzRenderSVG(f *testing.F) {
	f.Add(demo.Title, demo.Caption, uint8(0), uint8(0))
	f.Add("<script>", "]]>&amp;\x00", uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, title, caption string, layout, theme uint8) {
		v := badge.Variant{Format: badge.SVG, Layout: badge.Layout(layout % 3), Theme: badge.Theme(theme % 3), Size: 256, Density: 1}
		b, err := badge.Render(badge.Content{Code: demo.Code, Title: title, Caption: caption}, v)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		checkSVG(t, b)
	})
}

// TestPNGStatesItsResolution reads the pHYs chunk: 96 dpi per density on
// screen sizes, 300 dpi on the print size.
func TestPNGStatesItsResolution(t *testing.T) {
	for _, tt := range []struct {
		v   badge.Variant
		dpi int
	}{
		{badge.Variant{Format: badge.PNG, Size: 192, Density: 1}, 96},
		{badge.Variant{Format: badge.PNG, Size: 192, Density: 2}, 192},
		{badge.Variant{Format: badge.PNG, Theme: badge.ThemeMono, Size: badge.PrintSize, Density: 1}, badge.PrintDPI},
	} {
		t.Run(tt.v.String(), func(t *testing.T) {
			b, err := badge.Render(demo, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				t.Fatalf("%s with pHYs is not a valid PNG: %v", tt.v, err)
			}
			i := bytes.Index(b, []byte("pHYs"))
			if i < 0 {
				t.Fatalf("%s has no pHYs chunk", tt.v)
			}
			ppm := binary.BigEndian.Uint32(b[i+4:])
			if got := int(math.Round(float64(ppm) * 0.0254)); got != tt.dpi || b[i+12] != 1 {
				t.Errorf("%s states %d dpi, want %d", tt.v, got, tt.dpi)
			}
		})
	}
	if _, err := badge.Render(demo, badge.Variant{Format: badge.SVG, Size: badge.PrintSize, Density: 1}); err == nil {
		t.Error("an SVG at the print size was rendered")
	}
}

// sameImage compares SVGs byte for byte and PNGs pixel for pixel (and by
// their pHYs chunk): the PNG compressor's output changes between Go
// releases, the pixels must not.
func sameImage(t *testing.T, f badge.Format, a, b []byte) bool {
	t.Helper()
	if f == badge.SVG {
		return bytes.Equal(a, b)
	}
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return false
	}
	if ia.Bounds() != ib.Bounds() {
		return false
	}
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.NRGBAModel.Convert(ia.At(x, y)) != color.NRGBAModel.Convert(ib.At(x, y)) {
				return false
			}
		}
	}
	phys := func(p []byte) []byte {
		i := bytes.Index(p, []byte("pHYs"))
		if i < 0 || i+13 > len(p) {
			return nil
		}
		return p[i : i+13]
	}
	return bytes.Equal(phys(a), phys(b))
}
