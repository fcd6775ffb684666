package badge

import (
	"image"
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

// MinModulePixels is the fewest device pixels per module a code gets in
// every offered variant: below four, a code on a screen stops scanning
// under the mild blur and downscaling of a phone camera at arm's length.
const MinModulePixels = 4

// MinTextPixels is the smallest text any variant draws, in CSS pixels:
// below it Vietnamese diacritics (the dot under ộ, the hook on ở) blur
// into the letter.
const MinTextPixels = 11

// textLine is one line of text, placed by its baseline.
type textLine struct {
	X, Y   float64 // anchor point: the centre (Center) or the left end of the baseline
	Text   string
	Size   float64
	Bold   bool
	Color  color.NRGBA
	Center bool
}

// rect is a box in device pixels.
type rect struct{ X, Y, W, H float64 }

// geometry is a rendered badge's layout in device pixels. Both encoders draw
// exactly this, so SVG and PNG agree.
type geometry struct {
	W, H   int     // canvas
	Frame  bool    // a rounded, bordered background behind everything
	Radius float64 // corner radius of the frame
	Stroke float64 // border width

	FieldX, FieldY, FieldSize int // the light square under the code, quiet zone included
	QRX, QRY, Module          int // top-left of module (0,0) and module size

	Lines []textLine
	Pal   palette
	DPI   int // the resolution a PNG states: 96 per density, PrintDPI for the print size

	Emblem *Emblem
	Beside rect            // where the emblem sits beside the title; W is 0 when it does not
	Hole   image.Rectangle // modules left light in the code's centre for the emblem; empty when none
	InCode rect            // where the emblem is drawn inside the code
}

// pads returns the frame's inner padding for a layout, in device pixels.
func pads(l Layout, w, h int) int {
	switch l {
	case LayoutBadge:
		return int(math.Round(float64(w) / 24))
	case LayoutCard:
		return int(math.Round(float64(h) / 16))
	}
	return 0
}

// maxModule is the largest whole module, in device pixels, that a code of
// units modules (quiet zone included) can have in variant v.
func maxModule(v Variant, units int) int {
	w, h := v.Dimensions()
	w, h = w*v.Density, h*v.Density
	p := pads(v.Layout, w, h)
	switch v.Layout {
	case LayoutQR:
		return w / units
	case LayoutCard:
		return (h - 2*p) / units
	}
	return (w - 2*p) / units
}

// layout places the code and text for v. The code gets a whole number of
// device pixels per module, so its edges stay crisp, and its field is
// exactly the code and its quiet zone. Text is fitted into what is left,
// never below MinTextPixels: a block that cannot fit whole at that size is
// dropped in favour of one that can (see arrange).
func layout(c cleaned, v Variant) (geometry, error) {
	w, h := v.Dimensions()
	s := float64(v.Density)
	g := geometry{W: w * v.Density, H: h * v.Density, Pal: palettes[v.Theme], DPI: 96 * v.Density, Emblem: c.emblem}
	if v.Size == PrintSize {
		g.DPI = PrintDPI
	}
	m := c.matrix(v)
	units := m.N + 2*QuietZone
	W, H := float64(g.W), float64(g.H)
	pad := pads(v.Layout, g.W, g.H)
	P := float64(pad)
	minText := MinTextPixels * s

	switch v.Layout {
	case LayoutQR:
		g.Module = max(1, g.W/units)
		side := g.Module * units
		g.FieldX, g.FieldY, g.FieldSize = (g.W-side)/2, (g.H-side)/2, side
		g.placeCode(m, c.emblem != nil && m.ec == ecH)
		return g, nil

	case LayoutBadge:
		g.frame(W)
		top := max(1, (g.W-2*pad)/units)
		floor := min(top, MinModulePixels*v.Density)
		gap := math.Round(P * 0.6)
		// The largest code that leaves the text room to be read whole;
		// failing that, the largest code and the best text that fits.
		textBox := func(mod int) rect {
			field := float64(mod * units)
			if mod*(units+2) <= g.W-2*pad {
				field += float64(2 * mod)
			}
			return rect{P, P + field + gap, W - 2*P, H - 2*P - field - gap}
		}
		var st stack
		g.Module = 0
		for mod := top; mod >= floor; mod-- {
			if s, ok := arrange(c, textBox(mod), W/15, W/17, minText, true); ok {
				st, g.Module = s, mod
				break
			}
		}
		if g.Module == 0 {
			g.Module = top
			st, _ = arrange(c, textBox(top), W/15, W/17, minText, true)
		}
		side := g.Module * units
		// One more module of light around the quiet zone where the width
		// allows: on the dark theme a blurred frame bleeds into a quiet
		// zone of exactly four modules.
		if side+2*g.Module <= g.W-2*pad {
			side += 2 * g.Module
		}
		g.FieldX, g.FieldY, g.FieldSize = (g.W-side)/2, pad, side
		if c.title == "" && c.caption == "" {
			g.FieldY = (g.H - side) / 2
		}
		g.placeCode(m, c.emblem != nil && m.ec == ecH)
		g.place(st)
		return g, nil

	default: // LayoutCard
		g.frame(H)
		g.Module = max(1, (g.H-2*pad)/units)
		side := g.Module * units
		if side+2*g.Module <= g.H-2*pad {
			side += 2 * g.Module
		}
		g.FieldX, g.FieldY, g.FieldSize = pad+(g.H-2*pad-side)/2, (g.H-side)/2, side
		g.placeCode(m, c.emblem != nil && m.ec == ecH)
		left := float64(g.FieldX+side) + P
		box := rect{left, P, W - left - P, H - 2*P}
		st, _ := arrange(c, box, H/8, H/11, minText, false)
		g.place(st)
		return g, nil
	}
}

func (g *geometry) frame(ref float64) {
	g.Frame = true
	g.Radius = math.Round(ref/16*2) / 2
	g.Stroke = math.Max(1, math.Round(ref/192))
}

// placeCode centres the code in its field, and with hole set clears the
// centre for the emblem.
func (g *geometry) placeCode(m *Matrix, hole bool) {
	side := g.Module * m.N
	g.QRX = g.FieldX + (g.FieldSize-side)/2
	g.QRY = g.FieldY + (g.FieldSize-side)/2
	if !hole {
		return
	}
	k := holeModules(m.N)
	o := (m.N - k) / 2
	g.Hole = image.Rect(o, o, o+k, o+k)
	// The emblem sits inside the hole with half a module of light around it.
	in := float64(g.Module) / 2
	g.InCode = rect{
		X: float64(g.QRX+o*g.Module) + in, Y: float64(g.QRY+o*g.Module) + in,
		W: float64(k*g.Module) - 2*in, H: float64(k*g.Module) - 2*in,
	}
}

// holeModules is the side, in modules, of the square left light for an
// emblem in an n-module code: about 37 % of the side, so 14 % of the
// area, odd so that it is centred on a module.
func holeModules(n int) int {
	k := int(math.Round(float64(n) * 0.37))
	if k%2 != n%2 {
		k--
	}
	return k
}

// stack is the text of a badge or card, arranged in a box.
type stack struct {
	box            rect
	title, caption block
	gap            float64 // between title and caption
	emblem         float64 // the emblem's side beside the title; 0: none
	center         bool
}

func (st stack) height() float64 {
	th := blockHeight(st.title)
	if st.emblem > 0 {
		th = math.Max(th, st.emblem)
	}
	h := th + blockHeight(st.caption)
	if th > 0 && len(st.caption.lines) > 0 {
		h += st.gap
	}
	return h
}

// arrange fits the title and caption into box: the title bold above the
// caption, the emblem (if any) beside the title. It tries both at their
// base sizes, then both smaller in step, down to minSize; then the caption
// alone, then the title alone. ok is false when none of these fits whole,
// in which case the caption (or title) is cut with an ellipsis at minSize.
func arrange(c cleaned, box rect, titleBase, captionBase, minSize float64, center bool) (stack, bool) {
	type want struct{ title, caption bool }
	var tries []want
	switch {
	case c.title != "" && c.caption != "":
		tries = []want{{true, true}, {false, true}, {true, false}}
	case c.title != "":
		tries = []want{{true, false}}
	case c.caption != "":
		tries = []want{{false, true}}
	default:
		return stack{box: box}, true
	}
	for _, t := range tries {
		for _, f := range scaleSteps {
			ts, cs := math.Max(round1(titleBase*f), minSize), math.Max(round1(captionBase*f), minSize)
			if st, ok := tryStack(c, box, t.title, t.caption, ts, cs, center); ok {
				return st, true
			}
			if ts == minSize && cs == minSize {
				break
			}
		}
	}
	// Nothing fits whole: the first block, cut.
	st := stack{box: box, center: center}
	text, bold := c.caption, false
	if text == "" {
		text, bold = c.title, true
	}
	b, _ := fitLines(text, minSize, bold, box.W, box.H, true)
	if bold {
		st.title = b
	} else {
		st.caption = b
	}
	return st, false
}

// scaleSteps are the factors text is shrunk by, largest first.
var scaleSteps = []float64{1, 0.92, 0.85, 0.78, 0.72, 0.66, 0.6, 0.55, 0.5, 0.45, 0.4}

// tryStack fits the chosen blocks at the given sizes, or says they do not fit.
func tryStack(c cleaned, box rect, withTitle, withCaption bool, ts, cs float64, center bool) (stack, bool) {
	st := stack{box: box, center: center}
	h := box.H
	if withTitle {
		width := box.W
		if c.emblem != nil {
			st.emblem = math.Round(ts * lineHeight * 2)
			width -= st.emblem + math.Round(ts*0.5)
		}
		lines := int((h + 0.01) / (ts * lineHeight))
		if withCaption {
			lines = int((h - cs*lineHeight - ts*0.4) / (ts * lineHeight))
		}
		if width <= 0 || lines < 1 {
			return st, false
		}
		b, ok := fitLines(c.title, ts, true, width, float64(min(lines, 3))*ts*lineHeight+0.01, false)
		if !ok {
			return st, false
		}
		st.title = b
		st.gap = math.Round(ts * 0.4)
		h -= math.Max(blockHeight(b), st.emblem) + st.gap
	}
	if withCaption {
		b, ok := fitLines(c.caption, cs, false, box.W, h+0.01, false)
		if !ok {
			return st, false
		}
		st.caption = b
	}
	return st, true
}

// place turns a stack into text lines, centred vertically in its box.
func (g *geometry) place(st stack) {
	y := st.box.Y + (st.box.H-st.height())/2
	if len(st.title.lines) > 0 || st.emblem > 0 {
		th := blockHeight(st.title)
		row := math.Max(th, st.emblem)
		x := st.box.X
		if st.emblem > 0 {
			e := st.emblem
			rowW := e + math.Round(st.title.size*0.5) + st.title.width
			if st.center {
				x = st.box.X + (st.box.W-rowW)/2
			}
			g.Beside = rect{round1(x), round1(y + (row-e)/2), e, e}
			x += e + math.Round(st.title.size*0.5)
			g.addBlock(st.title, x, y+(row-th)/2, false, g.Pal.Title)
		} else {
			if st.center {
				x = st.box.X + st.box.W/2
			}
			g.addBlock(st.title, x, y, st.center, g.Pal.Title)
		}
		y += row + st.gap
	}
	x := st.box.X
	if st.center {
		x = st.box.X + st.box.W/2
	}
	g.addBlock(st.caption, x, y, st.center, g.Pal.Text)
}

func blockHeight(b block) float64 { return float64(len(b.lines)) * b.size * lineHeight }

// addBlock places b's lines from top down; x is the centre (center) or
// left edge.
func (g *geometry) addBlock(b block, x, top float64, center bool, c color.NRGBA) {
	lh := b.size * lineHeight
	for i, s := range b.lines {
		// The baseline sits about 0.8 of a line's height into it for DejaVu.
		base := top + float64(i)*lh + lh*0.8
		g.Lines = append(g.Lines, textLine{
			X: round1(x), Y: round1(base), Text: s, Size: b.size, Bold: b.bold, Color: c, Center: center,
		})
	}
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
