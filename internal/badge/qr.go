package badge

import (
	"errors"
	"fmt"
	"image"
	"unicode/utf8"

	"github.com/boombuler/barcode/qr"
)

// QuietZone is the light margin, in modules, the QR standard requires on
// every side of the code.
const QuietZone = 4

// MaxModules is the largest code (version 7, 45 modules) accepted. With its
// quiet zone it still gets two device pixels per module in the smallest
// field any variant has, which is what phone scanners need from a screen.
const MaxModules = 45

// MaxContentBytes is what version 7 holds at error-correction level M in
// byte mode: the longest QR content that every variant can render.
const MaxContentBytes = 122

// Matrix is a QR code's modules, row by row; true is dark.
type Matrix struct {
	N    int
	dark []bool
	ec   ecLevel
}

// ecLevel is a code's error-correction level.
type ecLevel uint8

const (
	ecM ecLevel = iota // 15 % of the code may be damaged
	ecH                // 30 %: room for an emblem over the centre
)

// Dark reports whether the module at column x, row y is dark.
func (m *Matrix) Dark(x, y int) bool { return m.dark[y*m.N+x] }

// ErrEmptyContent is returned for empty QR content, which the encoder would
// otherwise happily turn into a code that leads nowhere.
var ErrEmptyContent = errors.New("badge: empty QR content")

// Encode builds the QR matrix for content at error-correction level M (15 %
// of the code may be damaged, ample for a code shown on a screen or printed
// without a logo over it), choosing the most compact encoding mode.
func Encode(content string) (*Matrix, error) {
	if content == "" {
		return nil, ErrEmptyContent
	}
	if !utf8.ValidString(content) {
		return nil, errors.New("badge: QR content is not valid UTF-8")
	}
	if len(content) > MaxContentBytes {
		return nil, fmt.Errorf("badge: QR content is %d bytes, at most %d fit a code that scans at every size", len(content), MaxContentBytes)
	}
	return encode(content, ecM)
}

func encode(content string, level ecLevel) (*Matrix, error) {
	l := qr.M
	if level == ecH {
		l = qr.H
	}
	code, err := qr.Encode(content, l, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("badge: encoding QR: %w", err)
	}
	n := code.Bounds().Dx()
	if n > MaxModules {
		return nil, fmt.Errorf("badge: QR content needs %d modules, at most %d fit every size", n, MaxModules)
	}
	m := &Matrix{N: n, dark: make([]bool, n*n), ec: level}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			r, _, _, _ := code.At(x, y).RGBA()
			m.dark[y*n+x] = r < 0x8000
		}
	}
	return m, nil
}

// Runs calls fn for every horizontal run of dark modules: row y, first
// column x, n modules long. Drawing a run as one rectangle keeps SVG paths
// short and PDF pages light.
func (m *Matrix) Runs(fn func(x, y, n int)) { m.runs(image.Rectangle{}, fn) }

// runs is Runs with the modules inside hole taken as light.
func (m *Matrix) runs(hole image.Rectangle, fn func(x, y, n int)) {
	dark := func(x, y int) bool { return m.Dark(x, y) && !image.Pt(x, y).In(hole) }
	for y := 0; y < m.N; y++ {
		for x := 0; x < m.N; {
			if !dark(x, y) {
				x++
				continue
			}
			n := 1
			for x+n < m.N && dark(x+n, y) {
				n++
			}
			fn(x, y, n)
			x += n
		}
	}
}

// EncodeWithHole encodes content at error-correction level H and returns
// the square of modules to leave light in its centre for an emblem (about
// 14 % of the code's area, which level H recovers with room to spare). It
// fails for content too long for such a code; callers then print the
// plain code from Encode.
func EncodeWithHole(content string) (*Matrix, image.Rectangle, error) {
	if _, err := Encode(content); err != nil {
		return nil, image.Rectangle{}, err
	}
	m, err := encode(content, ecH)
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	if m.N > maxHoledModules {
		return nil, image.Rectangle{}, fmt.Errorf("badge: content too long for a code with an emblem (%d modules at level H)", m.N)
	}
	k := holeModules(m.N)
	o := (m.N - k) / 2
	return m, image.Rect(o, o, o+k, o+k), nil
}

// RunsAround is Runs with the modules inside hole taken as light.
func (m *Matrix) RunsAround(hole image.Rectangle, fn func(x, y, n int)) { m.runs(hole, fn) }
