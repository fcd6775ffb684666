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

// fonts holds the parsed DejaVu faces. DejaVu is chosen because it ships as
// a Go module (no files to install), has precomposed glyphs for all of
// Vietnamese, and is drawn as paths in SVG, so viewers need not have it.
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
// white space collapsed to one space. A run that holds a no-break space
// (U+00A0, or its narrow and figure forms) becomes one no-break space
// instead, so that a title can keep two syllables on one line; it is drawn
// as a space. White space at either end is dropped.
func CleanText(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	var space rune // the pending separator: 0, ' ' or NBSP
	for _, r := range s {
		switch {
		case r == NBSP || r == '\u202f' || r == '\u2007':
			if b.Len() > 0 {
				space = NBSP
			}
			continue
		case unicode.IsSpace(r):
			if b.Len() > 0 && space == 0 {
				space = ' '
			}
			continue
		case unicode.IsControl(r), unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs):
			continue
		case !Drawable(r):
			r = '\uFFFD' // drawn as the replacement character, in SVG, PNG and PDF alike
		}
		if space != 0 {
			b.WriteRune(space)
			space = 0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Drawable reports whether r can be drawn: both faces of DejaVu have a
// glyph for it, and it is in the Basic Multilingual Plane (the PDF
// writer's font subsets hold no more).
func Drawable(r rune) bool {
	if r > 0xFFFF {
		return false
	}
	fs, err := fonts()
	if err != nil {
		return false
	}
	for _, f := range fs {
		if gi, err := f.GlyphIndex(nil, r); err != nil || gi == 0 {
			return false
		}
	}
	return true
}

// Undrawable returns the first character of s that Drawable refuses, not
// counting white space, controls and format characters (which CleanText
// drops), and whether there is one.
func Undrawable(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs) {
			continue
		}
		if !Drawable(r) {
			return r, true
		}
	}
	return 0, false
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
	width float64 // of the widest line
}

// lineHeight is the distance between baselines, as a multiple of the size.
const lineHeight = 1.25

// fitLines wraps text at size into as many lines as maxHeight holds (at
// least one). ok is false when it does not fit whole or could only be
// wrapped by breaking a phrase; with cut, the lines that fit are kept and
// the last one ends with an ellipsis.
func fitLines(text string, size float64, bold bool, maxWidth, maxHeight float64, cut bool) (block, bool) {
	f, err := face(size, bold)
	if err != nil {
		// The embedded fonts parse; this cannot happen.
		return block{}, false
	}
	maxLines := max(1, int(maxHeight/(size*lineHeight)))
	m := func(s string) float64 { return measure(f, s) }
	lines, ok := WrapIn(m, text, maxWidth, maxLines)
	if len(lines) > maxLines {
		if !cut {
			return block{}, false
		}
		lines = lines[:maxLines]
		lines[maxLines-1] = Ellipsize(m, lines[maxLines-1], maxWidth)
	}
	b := block{lines: lines, size: size, bold: bold}
	for _, l := range lines {
		b.width = max(b.width, m(l))
	}
	return b, ok
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
