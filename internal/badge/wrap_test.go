package badge_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"

	"github.com/go-fonts/dejavu/dejavusans"

	"github.com/oabadge/oabadge/internal/badge"
)

// dejavu measures with DejaVu Sans at 12 px, the way badges measure.
func dejavu(t testing.TB) badge.Measure {
	t.Helper()
	f, err := opentype.Parse(dejavusans.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 12, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		t.Fatal(err)
	}
	return func(s string) float64 { return float64(font.MeasureString(face, s)) / 64 }
}

func corpus(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "wrap", "names.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if l := strings.TrimSpace(s.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// wrapWidths are line widths in pixels at 12 px: from a 128 badge's
// caption to a poster line.
var wrapWidths = []float64{90, 120, 160, 220, 300}

// TestWrapGolden wraps every name of the corpus at every width and pins
// the result in testdata/wrap/golden.txt. Run with -update after an
// intended change and read the diff: it is meant to be read.
func TestWrapGolden(t *testing.T) {
	m := dejavu(t)
	var b strings.Builder
	for _, name := range corpus(t) {
		fmt.Fprintf(&b, "%s\n", name)
		for _, w := range wrapWidths {
			fmt.Fprintf(&b, "  %3.0f | %s\n", w, strings.Join(badge.Wrap(m, name, w), " / "))
		}
	}
	path := filepath.Join("testdata", "wrap", "golden.txt")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != b.String() {
		t.Errorf("wrapping changed (run with -update if intended, and read the diff):\n%s", b.String())
	}
}

// TestWrapRules checks the rules on the whole corpus at every width, so a
// golden file updated in haste cannot hide a broken one.
func TestWrapRules(t *testing.T) {
	m := dejavu(t)
	never := []string{"Bộ Nội vụ", "Ủy ban nhân dân", "Bộ phận Một cửa", "Zalo OA", "Hưng Yên", "Văn Lâm"}
	for _, name := range corpus(t) {
		for _, w := range wrapWidths {
			lines, ok := badge.WrapIn(m, name, w, 0)
			got := strings.Join(lines, " / ")
			if strings.Join(lines, " ") != name {
				t.Errorf("Wrap(%q, %v) = %q: the words changed", name, w, got)
			}
			for _, l := range lines {
				if m(l) > w {
					t.Errorf("Wrap(%q, %v): line %q is %.1f wide", name, w, l, m(l))
				}
			}
			if !ok {
				continue // a name that cannot be wrapped cleanly this narrow
			}
			if last := lines[len(lines)-1]; len(lines) > 1 && !strings.Contains(last, " ") {
				t.Errorf("Wrap(%q, %v) = %q: %q alone on the last line", name, w, got, last)
			}
			for _, p := range never {
				if strings.Contains(name, p) && !strings.Contains(strings.Join(lines, "\n"), p) {
					t.Errorf("Wrap(%q, %v) = %q splits %q", name, w, got, p)
				}
			}
			// A type word never ends a line when its name (capitalised)
			// starts the next.
			for i, l := range lines[:len(lines)-1] {
				words := strings.Fields(l)
				next := []rune(lines[i+1])
				switch words[len(words)-1] {
				case "Sở", "huyện", "xã", "tỉnh", "UBND", "phường", "Bộ":
					if unicode.IsUpper(next[0]) {
						t.Errorf("Wrap(%q, %v) = %q: %q is apart from its name", name, w, got, words[len(words)-1])
					}
				}
			}
		}
	}
}

// TestWrapIssueCases are the breaks the badge and posters used to make.
func TestWrapIssueCases(t *testing.T) {
	m := dejavu(t)
	for _, tt := range []struct {
		text  string
		width float64
		want  string
	}{
		{"Zalo OA Bộ Nội vụ", 90, "Zalo OA / Bộ Nội vụ"},
		{"Quét mã QR để theo dõi Zalo OA Bộ Nội vụ", 200, "Quét mã QR để theo dõi / Zalo OA Bộ Nội vụ"},
		{"Mở ứng dụng Zalo, chọn Quét mã QR và hướng camera vào mã", 300, "Mở ứng dụng Zalo, chọn Quét mã QR / và hướng camera vào mã"},
		{"Sở Tư\u00a0pháp tỉnh Hưng Yên", 100, "Sở Tư pháp / tỉnh Hưng Yên"},
	} {
		t.Run(tt.text, func(t *testing.T) {
			if got := strings.Join(badge.Wrap(m, badge.CleanText(tt.text), tt.width), " / "); got != tt.want {
				t.Errorf("Wrap(%q, %v) = %q, want %q", tt.text, tt.width, got, tt.want)
			}
		})
	}
}

func TestWrapURL(t *testing.T) {
	m := dejavu(t)
	u := badge.ReadableURL("https://dichvucong.hungyen.gov.vn/portaldvc/KenhTin/dich-vu-cong-truc-tuyen.aspx?utm_source=qr#top")
	if _, ok := badge.WrapURLIn(m, u, 120, 0); ok {
		t.Errorf("WrapURLIn(%q, 120) is ok, though its host alone is wider", u)
	}
	for _, w := range []float64{200, 300, 400} {
		lines := badge.WrapURL(m, u, w)
		if strings.Join(lines, "") != u {
			t.Errorf("WrapURL(%q, %v) = %q: the address changed", u, w, lines)
		}
		for _, l := range lines[:len(lines)-1] {
			if !strings.HasSuffix(l, "/") {
				t.Errorf("WrapURL(%q, %v) = %q: a line ends inside a segment", u, w, lines)
			}
		}
	}
}

func TestReadableURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://zalo.me/1234567890123456789?utm_source=qr&utm_medium=portal", "zalo.me/1234567890123456789"},
		{"https://oa.zalo.me/home?id=42#x", "oa.zalo.me/home"},
		{"https://Badge.Example.gov.vn:443/s/bnv?p=desk-1", "badge.example.gov.vn/s/bnv"},
		{"http://example.vn:8080/", "example.vn:8080"},
		{"https://xn--bcher-kva.ch/th%E1%BB%A7-t%E1%BB%A5c", "bücher.ch/thủ-tục"},
		{"zalo.me/42?x=1", "zalo.me/42"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := badge.ReadableURL(tt.in); got != tt.want {
				t.Errorf("ReadableURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanTextKeepsNoBreakSpace(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Sở Tư\u00a0pháp", "Sở Tư\u00a0pháp"},
		{"  a \u00a0 b\u202fc\t\td ", "a\u00a0b\u00a0c d"},
		{"\u00a0a\u00a0", "a"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := badge.CleanText(tt.in); got != tt.want {
				t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
