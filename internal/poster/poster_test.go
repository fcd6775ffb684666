package poster_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/text/unicode/norm"

	"github.com/oabadge/oabadge/internal/poster"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var demo = poster.NewContent("https://zalo.me/4242424242", "Zalo OA Bộ Nội vụ", "Quét mã QR để theo dõi Zalo OA Bộ Nội vụ",
	"Bộ phận Một cửa UBND huyện Văn Lâm")

// poppler finds an independent tool from poppler-utils, or skips (or,
// with OABADGE_REQUIRE_POPPLER=1 as .ci/run sets, fails).
func poppler(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("OABADGE_REQUIRE_POPPLER") == "1" {
			t.Fatalf("%s is required (OABADGE_REQUIRE_POPPLER=1) but not found", tool)
		}
		t.Skipf("no %s: install Debian's poppler-utils (as .ci/run does) to run this test", tool)
	}
	return p
}

func render(t *testing.T, c poster.Content, paper string, bleed bool) string {
	t.Helper()
	b, err := poster.Render([]poster.Content{c}, poster.Options{Paper: poster.Papers[paper], Bleed: bleed})
	if err != nil {
		t.Fatalf("Render(%s): %v", paper, err)
	}
	path := filepath.Join(t.TempDir(), paper+".pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTextIsExtractable runs pdftotext, an independent extractor, on NFC
// and NFD input: the title, caption and agency line must come out exactly.
func TestTextIsExtractable(t *testing.T) {
	pdftotext := poppler(t, "pdftotext")
	nfd := poster.NewContent(demo.Code, norm.NFD.String(demo.Title), norm.NFD.String(demo.Caption), norm.NFD.String(demo.Agency))
	for name, c := range map[string]poster.Content{"nfc": demo, "nfd": nfd} {
		for _, paper := range []string{"a4", "a5", "a6"} {
			out, err := exec.Command(pdftotext, "-enc", "UTF-8", render(t, c, paper, false), "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(strings.Fields(norm.NFC.String(string(out))), " ")
			for _, want := range []string{demo.Title, demo.Caption, demo.Agency, poster.Instruction, "zalo.me/4242424242"} {
				if !strings.Contains(text, want) {
					t.Errorf("%s %s: the extracted text lacks %q:\n%s", name, paper, want, text)
				}
			}
		}
	}
}

// TestCodeScansAndIsBigEnough rasterises each paper with pdftoppm at a
// known resolution, decodes the code, and measures its printed size from
// the finder patterns the decoder found.
func TestCodeScansAndIsBigEnough(t *testing.T) {
	pdftoppm := poppler(t, "pdftoppm")
	const dpi = 100
	for _, paper := range []string{"a4", "a5", "a6"} {
		for _, bleed := range []bool{false, true} {
			pdf := render(t, demo, paper, bleed)
			prefix := filepath.Join(t.TempDir(), "page")
			if out, err := exec.Command(pdftoppm, "-r", fmt.Sprint(dpi), "-png", "-singlefile", pdf, prefix).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v %s", err, out)
			}
			f, err := os.ReadFile(prefix + ".png")
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(f))
			if err != nil {
				t.Fatal(err)
			}
			bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
			res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
			if err != nil {
				t.Fatalf("%s (bleed %v): decoding: %v", paper, bleed, err)
			}
			if res.GetText() != demo.Code {
				t.Errorf("%s: decodes to %q", paper, res.GetText())
			}
			// Points 0 and 2 are the centres of the bottom-left and top-right
			// finder patterns; finder centres sit 3.5 modules in from each edge.
			pts := res.GetResultPoints()
			dx, dy := pts[2].GetX()-pts[1].GetX(), pts[2].GetY()-pts[1].GetY()
			centres := math.Hypot(dx, dy) // top-left to top-right, in pixels
			l, _, _ := poster.Plan(demo, poster.Options{Paper: poster.Papers[paper]})
			modules := math.Round(l.CodeSize / l.Module)
			sizeMM := centres / (modules - 7) * modules / dpi * 25.4
			if sizeMM < poster.Papers[paper].MinCode-1 {
				t.Errorf("%s: the code prints at %.1f mm, under the %.0f mm minimum", paper, sizeMM, poster.Papers[paper].MinCode)
			}
			t.Logf("%s (bleed %v): code measured at %.1f mm (laid out at %.1f mm)", paper, bleed, sizeMM, l.CodeSize)
		}
	}
}

// TestLongTextStaysOnThePage lays out absurdly long text and checks that
// every line fits the width and every block ends above the bottom margin.
func TestLongTextStaysOnThePage(t *testing.T) {
	long := strings.Repeat("Ủy ban nhân dân huyện Văn Lâm tỉnh Hưng Yên ", 20)
	c := poster.NewContent(demo.Code, long, long, long+strings.Repeat("Khôngcókhoảngtrắng", 20))
	for _, paper := range []string{"a4", "a5", "a6"} {
		p := poster.Papers[paper]
		l, _, err := poster.Plan(c, poster.Options{Paper: p})
		if err != nil {
			t.Fatalf("%s: %v", paper, err)
		}
		margin := p.Width * 0.08
		for _, b := range l.Blocks {
			if bottom := b.Top + float64(len(b.Lines))*b.LineH; bottom > p.Height-margin+0.01 {
				t.Errorf("%s: a block ends at %.1f mm, past %.1f", paper, bottom, p.Height-margin)
			}
			if len(b.Lines) == 0 {
				t.Errorf("%s: an empty block", paper)
			}
		}
		if l.CodeSize < p.MinCode {
			t.Errorf("%s: long text shrank the code to %.1f mm", paper, l.CodeSize)
		}
		if _, err := poster.Render([]poster.Content{c}, poster.Options{Paper: p}); err != nil {
			t.Error(err)
		}
	}
}

// TestGeometry pins each paper's layout. Run with -update after an
// intended change and look at the diff.
func TestGeometry(t *testing.T) {
	for _, paper := range []string{"a4", "a5", "a6"} {
		l, _, err := poster.Plan(demo, poster.Options{Paper: poster.Papers[paper]})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.MarshalIndent(l, "", "  ")
		path := filepath.Join("testdata", "geometry-"+paper+".json")
		if *update {
			os.MkdirAll("testdata", 0o755)
			os.WriteFile(path, append(got, '\n'), 0o644)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if string(want) != string(got)+"\n" {
			t.Errorf("%s layout changed (run with -update if intended):\n%s", paper, got)
		}
	}
}

func TestMultiPage(t *testing.T) {
	b, err := poster.Render([]poster.Content{demo, demo, demo}, poster.Options{Paper: poster.Papers["a5"]})
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("/Type /Page\n")) + bytes.Count(b, []byte("/Type /Page ")); n < 3 {
		pdfinfo, err := exec.LookPath("pdfinfo")
		if err != nil {
			t.Skip("no pdfinfo")
		}
		path := filepath.Join(t.TempDir(), "m.pdf")
		os.WriteFile(path, b, 0o644)
		out, _ := exec.Command(pdfinfo, path).Output()
		if !strings.Contains(string(out), "Pages:          3") {
			t.Errorf("a 3-poster PDF:\n%s", out)
		}
	}
	if _, err := poster.Render(nil, poster.Options{Paper: poster.Papers["a4"]}); err == nil {
		t.Error("an empty PDF was rendered")
	}
}
