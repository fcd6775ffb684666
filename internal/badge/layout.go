package badge

import (
	"image/color"
	"math"
)

// palette is a theme's colours. QRDark and QRLight are the same in every
// theme on purpose: see Theme.
type palette struct {
	Background, Border, Title, Text color.NRGBA
	QRDark, QRLight                 color.NRGBA
}

var palettes = [...]palette{
	ThemeLight: {
		Background: rgb(0xff, 0xff, 0xff), Border: rgb(0xd0, 0xd7, 0xde),
		Title: rgb(0x00, 0x5a, 0xe0), Text: rgb(0x1f, 0x29, 0x37),
		QRDark: rgb(0, 0, 0), QRLight: rgb(0xff, 0xff, 0xff),
	},
	ThemeDark: {
		Background: rgb(0x11, 0x18, 0x27), Border: rgb(0x37, 0x41, 0x51),
		Title: rgb(0xff, 0xff, 0xff), Text: rgb(0xe5, 0xe7, 0xeb),
		QRDark: rgb(0, 0, 0), QRLight: rgb(0xff, 0xff, 0xff),
	},
	ThemeMono: {
		Background: rgb(0xff, 0xff, 0xff), Border: rgb(0, 0, 0),
		Title: rgb(0, 0, 0), Text: rgb(0, 0, 0),
		QRDark: rgb(0, 0, 0), QRLight: rgb(0xff, 0xff, 0xff),
	},
}

func rgb(r, g, b uint8) color.NRGBA { return color.NRGBA{r, g, b, 0xff} }

// textLine is one line of text, placed by its baseline.
type textLine struct {
	X, Y   float64 // anchor point: the centre (Centered) or the left end of the baseline
	Text   string
	Size   float64
	Bold   bool
	Color  color.NRGBA
	Center bool
}

// geometry is a rendered badge's layout in device pixels. Both encoders draw
// exactly this, so SVG and PNG agree.
type geometry struct {
	W, H   int     // canvas
	Frame  bool    // a rounded, bordered background behind everything
	Radius float64 // corner radius of the frame
	Stroke float64 // border width

	FieldX, FieldY, FieldSize int // the light square under the code
	QRX, QRY, Module          int // top-left of module (0,0) and module size

	Lines []textLine
	Pal   palette
	DPI   int // the resolution a PNG states: 96 per density, PrintDPI for the print size
}

// layout places the code and text for v. The code is centred in its field
// with a whole number of device pixels per module, so its edges stay crisp;
// the field's margin around it is at least the standard quiet zone.
func layout(m *Matrix, title, caption string, v Variant) (geometry, error) {
	w, h := v.Dimensions()
	scale := v.Density
	g := geometry{W: w * scale, H: h * scale, Pal: palettes[v.Theme], DPI: 96 * scale}
	if v.Size == PrintSize {
		g.DPI = PrintDPI
	}
	W, H := float64(g.W), float64(g.H)

	switch v.Layout {
	case LayoutQR:
		g.FieldX, g.FieldY, g.FieldSize = 0, 0, g.W
		g.placeCode(m)
		return g, nil

	case LayoutBadge:
		g.frame(W)
		pad := int(math.Round(W / 24))
		g.FieldX, g.FieldY, g.FieldSize = pad, pad, g.W-2*pad
		g.placeCode(m)
		top := float64(g.FieldY + g.FieldSize)
		box := H - top - float64(pad)
		base := W / 14
		b, err := fit(caption, sizesFrom(base), W-2*float64(pad), box, false)
		if err != nil {
			return g, err
		}
		g.addBlock(b, W/2, top, box, true, g.Pal.Text)
		return g, nil

	default: // LayoutCard
		g.frame(H)
		pad := int(math.Round(H / 16))
		g.FieldX, g.FieldY, g.FieldSize = pad, pad, g.H-2*pad
		g.placeCode(m)
		left := float64(g.FieldX + g.FieldSize + pad)
		width := W - left - float64(pad)
		box := H - 2*float64(pad)
		tb, err := fit(title, sizesFrom(H/9), width, box*0.5, true)
		if err != nil {
			return g, err
		}
		used := blockHeight(tb)
		gap := 0.0
		if used > 0 {
			gap = H / 24
		}
		cb, err := fit(caption, sizesFrom(H/11), width, box-used-gap, false)
		if err != nil {
			return g, err
		}
		total := used + gap + blockHeight(cb)
		y := float64(pad) + (box-total)/2
		g.addBlock(tb, left, y, used, false, g.Pal.Title)
		g.addBlock(cb, left, y+used+gap, blockHeight(cb), false, g.Pal.Text)
		return g, nil
	}
}

func (g *geometry) frame(ref float64) {
	g.Frame = true
	g.Radius = math.Round(ref/16*2) / 2
	g.Stroke = math.Max(1, math.Round(ref/192))
}

// placeCode centres the code in the field at the largest whole module size
// that keeps the quiet zone.
func (g *geometry) placeCode(m *Matrix) {
	g.Module = g.FieldSize / (m.N + 2*QuietZone)
	side := g.Module * m.N
	g.QRX = g.FieldX + (g.FieldSize-side)/2
	g.QRY = g.FieldY + (g.FieldSize-side)/2
}

// sizesFrom returns the font sizes fit may try: the base size, then smaller
// steps down to 70 % of it, rounded to tenths of a pixel so SVG stays short.
func sizesFrom(base float64) []float64 {
	steps := []float64{1, 0.9, 0.8, 0.7}
	out := make([]float64, len(steps))
	for i, s := range steps {
		out[i] = math.Round(base*s*10) / 10
	}
	return out
}

func blockHeight(b block) float64 { return float64(len(b.lines)) * b.size * lineHeight }

// addBlock places b's lines in the box starting at top and box tall,
// centred vertically in it; x is the centre (center) or left edge.
func (g *geometry) addBlock(b block, x, top, box float64, center bool, c color.NRGBA) {
	if len(b.lines) == 0 {
		return
	}
	lh := b.size * lineHeight
	y := top + (box-blockHeight(b))/2
	for i, s := range b.lines {
		// The baseline sits about 0.8 of a line's height into it for DejaVu.
		base := y + float64(i)*lh + lh*0.8
		g.Lines = append(g.Lines, textLine{
			X: round1(x), Y: round1(base), Text: s, Size: b.size, Bold: b.bold, Color: c, Center: center,
		})
	}
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
