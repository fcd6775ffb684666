package badge_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	xdraw "golang.org/x/image/draw"

	"github.com/oabadge/oabadge/internal/badge"
)

var reference = badge.Content{Code: badge.ReferenceCode, Title: demo.Title, Caption: demo.Caption}

// TestOfferedSizes pins the decision: which sizes are offered per layout.
func TestOfferedSizes(t *testing.T) {
	for _, tt := range []struct {
		l    badge.Layout
		want string
	}{
		{badge.LayoutQR, "[192 256 384 512 1024]"},
		{badge.LayoutBadge, "[192 256 384 512 1024]"},
		{badge.LayoutCard, "[384 512 1024]"},
	} {
		t.Run(tt.l.String(), func(t *testing.T) {
			if got := fmt.Sprint(badge.OfferedSizes(tt.l)); got != tt.want {
				t.Errorf("OfferedSizes(%s) = %s, want %s", tt.l, got, tt.want)
			}
		})
	}
	// Every variant Validate accepted before still renders, offered or not.
	for _, v := range badge.Variants() {
		if _, err := badge.Render(reference, v); err != nil {
			t.Errorf("Render(%s): %v", v, err)
		}
	}
}

// TestOfferedCodesGetFourPixels checks every offered variant gives the
// reference code, with and without an emblem in it, at least
// MinModulePixels device pixels per module.
func TestOfferedCodesGetFourPixels(t *testing.T) {
	withEmblem := reference
	withEmblem.Emblem, withEmblem.EmblemInCode = testEmblem(t), true
	for _, c := range []badge.Content{reference, withEmblem} {
		for _, v := range badge.Variants() {
			g, err := badge.Code(c, v)
			if err != nil {
				t.Fatal(err)
			}
			if v.Offered() && g.Module < badge.MinModulePixels*v.Density {
				t.Errorf("%s (emblem %v): %d px per module, want at least %d", v, c.Emblem != nil, g.Module, badge.MinModulePixels*v.Density)
			}
			if !v.Offered() && g.Module >= badge.MinModulePixels*v.Density && v.Density == 1 {
				t.Errorf("%s is not offered but gives %d px per module", v, g.Module)
			}
		}
	}
}

// TestTextNeverBelowMinimum lays out short and long text in every variant:
// no line is smaller than MinTextPixels.
func TestTextNeverBelowMinimum(t *testing.T) {
	long := badge.Content{Code: demo.Code, Title: "Trung tâm Phục vụ hành chính công tỉnh Hưng Yên",
		Caption: strings.Repeat("Quét mã QR để theo dõi Zalo OA và nhận thông báo ", 3)}
	for _, c := range []badge.Content{demo, long} {
		for _, v := range badge.Variants() {
			if v.Format != badge.SVG {
				continue
			}
			boxes, err := badge.TextBoxes(c, v)
			if err != nil {
				t.Fatal(err)
			}
			if v.Layout != badge.LayoutQR && len(boxes) == 0 {
				t.Errorf("%s: no text", v)
			}
			for _, b := range boxes {
				if b.Size < badge.MinTextPixels {
					t.Errorf("%s: %q drawn at %.1f px", v, b.Text, b.Size)
				}
			}
		}
	}
}

// blur is a separable Gaussian blur of a grey image, in plain Go.
func blur(src *image.Gray, sigma float64) *image.Gray {
	if sigma <= 0 {
		return src
	}
	r := int(math.Ceil(sigma * 3))
	k := make([]float64, 2*r+1)
	sum := 0.0
	for i := range k {
		x := float64(i - r)
		k[i] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	tmp := make([]float64, w*h)
	at := func(x, y int) float64 {
		x, y = min(max(x, 0), w-1), min(max(y, 0), h-1)
		return float64(src.Pix[y*src.Stride+x])
	}
	for y := range h {
		for x := range w {
			s := 0.0
			for i, kv := range k {
				s += kv * at(x+i-r, y)
			}
			tmp[y*w+x] = s
		}
	}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			s := 0.0
			for i, kv := range k {
				yy := min(max(y+i-r, 0), h-1)
				s += kv * tmp[yy*w+x]
			}
			dst.Pix[y*dst.Stride+x] = uint8(math.Round(s))
		}
	}
	return dst
}

func gray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g.Set(x-b.Min.X, y-b.Min.Y, color.GrayModel.Convert(img.At(x, y)))
		}
	}
	return g
}

func downscale(src *image.Gray, f float64) *image.Gray {
	if f >= 1 {
		return src
	}
	b := src.Bounds()
	dst := image.NewGray(image.Rect(0, 0, int(float64(b.Dx())*f), int(float64(b.Dy())*f)))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, b, xdraw.Src, nil)
	return dst
}

func decodes(img image.Image, want string) bool {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return false
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	return err == nil && res.GetText() == want
}

// Degradation ladders, mildest first: Gaussian blur σ in device pixels,
// and downscale factors (a camera seeing the code smaller than drawn).
var (
	sigmas = []float64{0.5, 0.75, 1, 1.25, 1.5, 2, 2.5}
	scales = []float64{0.9, 0.75, 0.6, 0.5, 0.4}
)

// breakpoints returns how far up each ladder an image still decodes: the
// index of the first step that fails (len when none does).
func breakpoints(img *image.Gray, want string) (blurAt, scaleAt int) {
	blurAt, scaleAt = len(sigmas), len(scales)
	for i, s := range sigmas {
		if !decodes(blur(img, s), want) {
			blurAt = i
			break
		}
	}
	for i, f := range scales {
		if !decodes(downscale(img, f), want) {
			scaleAt = i
			break
		}
	}
	return blurAt, scaleAt
}

// plainCode draws the plain code alone on white, in an image as large as
// the variant's and at the same place and module size, so that the two
// are sampled alike by the downscale.
func plainCode(t *testing.T, code string, g badge.CodeGeometry, w, h int) *image.Gray {
	t.Helper()
	m, err := badge.Encode(code)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	// Centre the plain code where the variant's is (an emblem's level-H
	// code is larger).
	off := (g.Modules - m.N) * g.Module / 2
	m.Runs(func(x, y, n int) {
		for yy := range g.Module {
			for xx := range n * g.Module {
				img.Pix[(g.Y+off+y*g.Module+yy)*img.Stride+g.X+off+x*g.Module+xx] = 0
			}
		}
	})
	return img
}

// TestDegradedScans blurs and downscales every offered layout at its
// smallest offered size (PNG, both densities, every theme) and requires it
// to survive as far up both ladders as a plain code with the same module
// size does, and at least σ 1 and a 75 % downscale.
func TestDegradedScans(t *testing.T) {
	withEmblem := reference
	withEmblem.Emblem, withEmblem.EmblemInCode = testEmblem(t), true
	for _, c := range []badge.Content{reference, withEmblem} {
		for _, l := range []badge.Layout{badge.LayoutQR, badge.LayoutBadge, badge.LayoutCard} {
			for _, th := range []badge.Theme{badge.ThemeLight, badge.ThemeDark, badge.ThemeMono} {
				for _, d := range badge.Densities {
					v := badge.Variant{Format: badge.PNG, Layout: l, Theme: th, Size: badge.OfferedSizes(l)[0], Density: d}
					name := fmt.Sprintf("%s/emblem=%v", v, c.Emblem != nil)
					t.Run(name, func(t *testing.T) {
						b, err := badge.Render(c, v)
						if err != nil {
							t.Fatal(err)
						}
						g, _ := badge.Code(c, v)
						img := gray(rasterise(t, "png", b))
						gotB, gotS := breakpoints(img, c.Code)
						rb, rs := breakpoints(plainCode(t, c.Code, g, img.Bounds().Dx(), img.Bounds().Dy()), c.Code)
						ref := [2]int{rb, rs}
						t.Logf("%s: %d px/module; survives blur up to σ %s (plain code: %s), downscale to %s (plain: %s)",
							name, g.Module, step(sigmas, gotB), step(sigmas, ref[0]), step(scales, gotS), step(scales, ref[1]))
						if g.EmblemInCode {
							// The emblem covers 14 % of the code: allow one
							// step less than the plain code, never below the floor.
							ref[0], ref[1] = ref[0]-1, ref[1]-1
						}
						if gotB < ref[0] || gotS < ref[1] {
							t.Errorf("%s breaks earlier than a plain code of %d px/module: blur %s vs %s, scale %s vs %s",
								name, g.Module, step(sigmas, gotB), step(sigmas, ref[0]), step(scales, gotS), step(scales, ref[1]))
						}
						if gotB < 2 || gotS < 2 {
							t.Errorf("%s does not survive σ 1 blur and a 75 %% downscale", name)
						}
					})
				}
			}
		}
	}
}

// step names the last ladder step survived.
func step(ladder []float64, i int) string {
	if i == 0 {
		return "none"
	}
	return fmt.Sprint(ladder[i-1])
}

// TestSecondDecoder reads every variant with ZBar (zbarimg, Debian's
// zbar-tools), a decoder independent of gozxing, in one run over all
// files. It skips without zbarimg unless OABADGE_REQUIRE_ZBAR=1.
func TestSecondDecoder(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("OABADGE_REQUIRE_ZBAR") == "1" {
			t.Fatal("zbarimg is required (OABADGE_REQUIRE_ZBAR=1) but not found")
		}
		t.Skip("no zbarimg: install Debian's zbar-tools to read every variant with a second decoder")
	}
	withEmblem := demo
	withEmblem.Emblem, withEmblem.EmblemInCode = testEmblem(t), true
	dir := t.TempDir()
	want := map[string]string{}
	for i, c := range []badge.Content{demo, withEmblem} {
		for _, v := range badge.Variants() {
			b, err := badge.Render(c, v)
			if err != nil {
				t.Fatal(err)
			}
			img := rasterise(t, v.Format.String(), b)
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, fmt.Sprintf("%d-%d.png", i, v.Index()))
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			want[path] = fmt.Sprintf("%s (emblem %v)", v, c.Emblem != nil)
		}
	}
	args := []string{"--xml", "-q", "-Sdisable", "-Sqrcode.enable"}
	for p := range want {
		args = append(args, p)
	}
	out, _ := exec.Command(zbar, args...).Output() // exits 4 when a file has no code; the XML tells
	var doc struct {
		Sources []struct {
			Href    string   `xml:"href,attr"`
			Symbols []string `xml:"index>symbol>data"`
		} `xml:"source"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("zbarimg --xml: %v\n%s", err, out)
	}
	read := map[string]string{}
	for _, s := range doc.Sources {
		if len(s.Symbols) > 0 {
			read[s.Href] = s.Symbols[0]
		}
	}
	for p, v := range want {
		if got := read[p]; got != demo.Code {
			t.Errorf("zbarimg reads %s as %q, want %q", v, got, demo.Code)
		}
	}
}
