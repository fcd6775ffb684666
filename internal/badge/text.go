package badge

import (
	"strings"
	"sync"
	"unicode"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// SVGFontFamily is the font stack written into SVG text. DejaVu Sans comes
// first because it is the font the text is measured and wrapped with, and
// it has every Vietnamese glyph; the others all cover Vietnamese too and are
// no wider, so a line that fits in DejaVu fits in them.
const SVGFontFamily = "'DejaVu Sans','Noto Sans','Segoe UI',Roboto,Arial,sans-serif"

// fonts holds the parsed DejaVu faces. DejaVu is chosen because it ships as
// a Go module (no files to install), has precomposed glyphs for all of
// Vietnamese, and is the font most Linux desktops already have for SVG text.
var fonts = sync.OnceValues(func() ([2]*opentype.Font, error) {
	regular, err := opentype.Parse(dejavusans.TTF)
	if err != nil {
		return [2]*opentype.Font{}, err
	}
	bold, err := opentype.Parse(dejavusansbold.TTF)
	return [2]*opentype.Font{regular, bold}, err
})

// face returns a face of the given pixel size. Faces are cheap to make and
// carry a glyph cache that is not safe for concurrent use, so each render
// makes its own.
func face(size float64, bold bool) (font.Face, error) {
	fs, err := fonts()
	if err != nil {
		return nil, err
	}
	f := fs[0]
	if bold {
		f = fs[1]
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
}

// CleanText returns s as it is drawn: NFC-normalised (so text typed in NFD,
// as some Vietnamese keyboards and Mac file systems produce, renders to the
// same bytes as NFC), with control and format characters dropped and runs of
// white space collapsed to one space.
func CleanText(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func measure(f font.Face, s string) float64 {
	return fixedToFloat(font.MeasureString(f, s))
}

func fixedToFloat(x fixed.Int26_6) float64 { return float64(x) / 64 }

// block is text wrapped to a width at one font size.
type block struct {
	lines []string
	size  float64
	bold  bool
}

// lineHeight is the distance between baselines, as a multiple of the size.
const lineHeight = 1.25

// fit wraps text into at most maxWidth × maxHeight pixels, trying the sizes
// from largest to smallest; at the smallest it cuts the text with an
// ellipsis rather than let it overflow. It never returns lines wider than
// maxWidth (a single word wider than the box is broken between letters).
func fit(text string, sizes []float64, maxWidth, maxHeight float64, bold bool) (block, error) {
	for i, size := range sizes {
		f, err := face(size, bold)
		if err != nil {
			return block{}, err
		}
		maxLines := int(maxHeight / (size * lineHeight))
		if maxLines < 1 {
			maxLines = 1
		}
		m := func(s string) float64 { return measure(f, s) }
		lines := Wrap(m, text, maxWidth)
		if len(lines) <= maxLines {
			return block{lines: lines, size: size, bold: bold}, nil
		}
		if i == len(sizes)-1 {
			lines = lines[:maxLines]
			lines[maxLines-1] = Ellipsize(m, lines[maxLines-1], maxWidth)
			return block{lines: lines, size: size, bold: bold}, nil
		}
	}
	return block{}, nil
}

// Measure returns the width of a string in some font.
type Measure func(string) float64

// Wrap breaks text into lines no wider than width as measure counts it, at
// spaces where it can and between letters where a word alone is too wide.
// The poster package wraps with its PDF fonts through it too.
func Wrap(measure Measure, text string, width float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if measure(try) <= width {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
			line = ""
		}
		// The word alone may still be too wide: break it between letters.
		for measure(word) > width {
			cut := fitPrefix(measure, word, width)
			lines = append(lines, word[:cut])
			word = word[cut:]
		}
		line = word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// fitPrefix returns the byte length of the longest prefix of s (at least
// one rune) that is no wider than width.
func fitPrefix(measure Measure, s string, width float64) int {
	end := 0
	for i, r := range s {
		next := i + len(string(r))
		if end > 0 && measure(s[:next]) > width {
			break
		}
		end = next
	}
	return end
}

// Ellipsize shortens line until line + "…" fits width.
func Ellipsize(measure Measure, line string, width float64) string {
	runes := []rune(line)
	for len(runes) > 0 {
		s := strings.TrimRight(string(runes), " ") + "…"
		if measure(s) <= width {
			return s
		}
		runes = runes[:len(runes)-1]
	}
	return "…"
}
