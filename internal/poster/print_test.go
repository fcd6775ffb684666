package poster_test

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/multi/qrcode"
	"golang.org/x/text/unicode/norm"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/poster"
)

func writePDF(t *testing.T, b []byte, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("OABADGE_ARTIFACTS"); dir != "" {
		dir = filepath.Join(dir, "poster")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	return path
}

// TestPrintBoxesFontsAndMetadata reads every form back with pdfinfo and
// pdffonts: TrimBox inside BleedBox by the bleed, subset fonts named with
// a six-letter tag, title, subject and language set.
func TestPrintBoxesFontsAndMetadata(t *testing.T) {
	pdfinfo, pdffonts := poppler(t, "pdfinfo"), poppler(t, "pdffonts")
	box := regexp.MustCompile(`Page\s+1\s+(\w+):\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)`)
	for _, form := range []poster.Form{poster.FormPoster, poster.FormTent, poster.FormStickers} {
		for _, bleed := range []bool{false, true} {
			name := fmt.Sprintf("%s-bleed-%v.pdf", form, bleed)
			t.Run(name, func(t *testing.T) {
				b, err := poster.Render([]poster.Content{demo}, poster.Options{Paper: poster.Papers["a4"], Bleed: bleed, Form: form})
				if err != nil {
					t.Fatal(err)
				}
				path := writePDF(t, b, name)
				out, err := exec.Command(pdfinfo, "-box", "-f", "1", "-l", "1", path).Output()
				if err != nil {
					t.Fatal(err)
				}
				boxes := map[string][4]float64{}
				for _, m := range box.FindAllStringSubmatch(string(out), -1) {
					var r [4]float64
					for i := range r {
						r[i], _ = strconv.ParseFloat(m[i+2], 64)
					}
					boxes[m[1]] = r
				}
				trim, bl, media := boxes["TrimBox"], boxes["BleedBox"], boxes["MediaBox"]
				off := 0.0
				if bleed {
					off = poster.Bleed / 25.4 * 72
				}
				wantTrim := [4]float64{off, off, off + 210/25.4*72, off + 297/25.4*72}
				for i := range trim {
					if d := trim[i] - wantTrim[i]; d > 0.1 || d < -0.1 {
						t.Errorf("TrimBox = %v, want %v\n%s", trim, wantTrim, out)
						break
					}
				}
				if bl != media {
					t.Errorf("BleedBox = %v, want the MediaBox %v", bl, media)
				}
				info := strings.Join(strings.Fields(norm.NFC.String(string(out))), " ")
				for _, want := range []string{"Title: " + demo.Title, "Subject: " + demo.Caption, "Author: " + demo.Agency} {
					if !strings.Contains(info, want) {
						t.Errorf("pdfinfo lacks %q:\n%s", want, out)
					}
				}
				if !bytes.Contains(b, []byte("/Lang (vi)")) {
					t.Error("the catalog does not state /Lang (vi)")
				}
				fonts, err := exec.Command(pdffonts, path).Output()
				if err != nil {
					t.Fatal(err)
				}
				tagged := regexp.MustCompile(`(?m)^[A-Z]{6}\+DejaVuSans(-Bold)?\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes`)
				if n := len(tagged.FindAll(fonts, -1)); n != 2 {
					t.Errorf("pdffonts shows %d tagged, embedded subset fonts, want 2:\n%s", n, fonts)
				}
			})
		}
	}
}

// rasterise renders page 1 of a PDF with pdftoppm at dpi and returns its
// path, keeping a copy among the artifacts.
func rasterise(t *testing.T, pdf string, dpi int) string {
	t.Helper()
	pdftoppm := poppler(t, "pdftoppm")
	prefix := filepath.Join(t.TempDir(), "page")
	if out, err := exec.Command(pdftoppm, "-r", strconv.Itoa(dpi), "-png", "-singlefile", pdf, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	if dir := os.Getenv("OABADGE_ARTIFACTS"); dir != "" {
		b, _ := os.ReadFile(prefix + ".png")
		os.WriteFile(filepath.Join(dir, "poster", strings.TrimSuffix(filepath.Base(pdf), ".pdf")+".png"), b, 0o644)
	}
	return prefix + ".png"
}

// TestFormsScan prints a tent card and a sticker sheet, rasterises them
// and decodes every code on the page with gozxing's multi-code reader:
// both faces of the tent, all 24 stickers with their own placements.
func TestFormsScan(t *testing.T) {
	var stickers []poster.Content
	want := map[string]bool{}
	for i := range 24 {
		p := fmt.Sprintf("desk-%02d", i+1)
		c := poster.NewContent("https://badge.example.gov.vn/s/bnv?p="+p, demo.Title, demo.Caption, demo.Agency)
		c.Placement = p
		stickers = append(stickers, c)
		want[c.Code] = true
	}
	for _, tt := range []struct {
		name  string
		form  poster.Form
		cs    []poster.Content
		codes map[string]bool
		n     int
	}{
		{"tent", poster.FormTent, []poster.Content{demo}, map[string]bool{demo.Code: true}, 2},
		{"stickers", poster.FormStickers, stickers, want, 24},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := poster.Render(tt.cs, poster.Options{Form: tt.form})
			if err != nil {
				t.Fatal(err)
			}
			img := rasterise(t, writePDF(t, b, tt.name+".pdf"), 200)
			f, _ := os.ReadFile(img)
			pic, err := png.Decode(bytes.NewReader(f))
			if err != nil {
				t.Fatal(err)
			}
			bmp, _ := gozxing.NewBinaryBitmapFromImage(pic)
			rs, err := qrcode.NewQRCodeMultiReader().DecodeMultiple(bmp, nil)
			if err != nil {
				t.Fatalf("decoding the %s: %v", tt.name, err)
			}
			got := map[string]int{}
			for _, r := range rs {
				got[r.GetText()]++
			}
			n := 0
			for code, k := range got {
				if !tt.codes[code] {
					t.Errorf("%s: decoded %q, not one of the printed codes", tt.name, code)
				}
				n += k
			}
			if n < tt.n {
				t.Errorf("%s: decoded %d codes, want %d: %v", tt.name, n, tt.n, got)
			}
		})
	}
}

// TestFormsRefuse checks the forms that print on A4 only refuse other paper.
func TestFormsRefuse(t *testing.T) {
	for _, f := range []poster.Form{poster.FormTent, poster.FormStickers} {
		if _, err := poster.Render([]poster.Content{demo}, poster.Options{Paper: poster.Papers["a6"], Form: f}); err == nil {
			t.Errorf("Render(%s on A6) succeeded, want an error", f)
		}
	}
	if _, err := poster.Render([]poster.Content{demo}, poster.Options{Form: 9}); err == nil {
		t.Error("Render with an unknown form succeeded")
	}
}

// TestReadableDestination prints a target with a tracking query: the page
// shows host and path only, and the code keeps the whole target.
func TestReadableDestination(t *testing.T) {
	pdftotext := poppler(t, "pdftotext")
	target := "https://zalo.me/1234567890123456789?utm_source=qr&utm_medium=portal&utm_campaign=mot-cua"
	c := poster.NewContent(target, demo.Title, demo.Caption, demo.Agency)
	if c.Destination != "zalo.me/1234567890123456789" {
		t.Fatalf("NewContent(…).Destination = %q, want host and path", c.Destination)
	}
	for _, paper := range []string{"a4", "a5", "a6"} {
		out, err := exec.Command(pdftotext, "-enc", "UTF-8", render(t, c, paper, false), "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), "utm_") {
			t.Errorf("%s: the tracking query is printed:\n%s", paper, out)
		}
		if !strings.Contains(string(out), "zalo.me/1234567890123456789") {
			t.Errorf("%s: the destination is not printed whole on one line:\n%s", paper, out)
		}
	}
	l, m, err := poster.Plan(c, poster.Options{Paper: poster.Papers["a6"]})
	if err != nil || m == nil || l.Module == 0 {
		t.Fatalf("Plan: %v", err)
	}
	if got := decodePoster(t, c, "a6"); got != target {
		t.Errorf("the code decodes to %q, want the exact target %q", got, target)
	}
}

func decodePoster(t *testing.T, c poster.Content, paper string) string {
	t.Helper()
	img := rasterise(t, render(t, c, paper, false), 150)
	f, _ := os.ReadFile(img)
	pic, err := png.Decode(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(pic)
	rs, err := qrcode.NewQRCodeMultiReader().DecodeMultiple(bmp, nil)
	if err != nil || len(rs) == 0 {
		t.Fatalf("decoding the %s poster: %v", paper, err)
	}
	return rs[0].GetText()
}

// TestPosterWithEmblem prints the emblem beside the title and in the
// code's centre, and the code still decodes on every paper.
func TestPosterWithEmblem(t *testing.T) {
	svg, err := os.ReadFile(filepath.Join("..", "badge", "testdata", "emblem.svg"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := badge.NewEmblem(svg)
	if err != nil {
		t.Fatal(err)
	}
	c := demo
	c.Emblem, c.EmblemInCode = e, true
	for _, paper := range []string{"a4", "a5", "a6"} {
		l, _, err := poster.Plan(c, poster.Options{Paper: poster.Papers[paper]})
		if err != nil {
			t.Fatal(err)
		}
		if l.EmblemSize <= 0 {
			t.Errorf("%s: no emblem beside the title", paper)
		}
		if got := decodePoster(t, c, paper); got != c.Code {
			t.Errorf("%s: decodes to %q, want %q", paper, got, c.Code)
		}
	}
}
