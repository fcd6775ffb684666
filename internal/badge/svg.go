package badge

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// glyphUnits is the grid glyph outlines are written on, per em. DejaVu's
// 2048 units per em rounded to 256 move no point by more than a
// five-hundredth of the text size: invisible even on the 1024 badge, and
// it keeps coordinates to three digits.
const glyphUnits = 256

// encodeSVG writes g as a standalone SVG document. Text is drawn as paths
// from the embedded DejaVu faces, each glyph defined once in <defs> and
// placed with <use>, so the badge looks the same whatever fonts the viewer
// has. Every piece of outside text passes through xml.EscapeText, and the
// document has no script, style element, event attribute, external link or
// foreignObject by construction: it is made of rect, path, g, use and (for
// an emblem) an image whose only source is an embedded PNG.
func encodeSVG(m *Matrix, g geometry, label string) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(4096 + m.N*m.N*4)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="`, g.W, g.H, g.W, g.H)
	escape(&b, label)
	b.WriteString(`"><title>`)
	escape(&b, label)
	b.WriteString(`</title>`)

	text, err := glyphRuns(g.Lines)
	if err != nil {
		return nil, err
	}
	if len(text.defs) > 0 {
		b.WriteString(`<defs>`)
		b.Write(text.defs)
		b.WriteString(`</defs>`)
	}

	if g.Frame {
		// The stroke is centred on the rectangle's edge: inset it by half.
		in := g.Stroke / 2
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="%s" fill="%s" stroke="%s" stroke-width="%s"/>`,
			num(in), num(in), num(float64(g.W)-g.Stroke), num(float64(g.H)-g.Stroke), num(g.Radius),
			hexColor(g.Pal.Background), hexColor(g.Pal.Border), num(g.Stroke))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`,
		g.FieldX, g.FieldY, g.FieldSize, g.FieldSize, hexColor(g.Pal.QRLight))

	// One path for all modules: a horizontal line, as wide as a module is
	// tall, through each run of dark modules. Butt caps make each line
	// exactly the run's rectangle, and a run costs about ten bytes.
	fmt.Fprintf(&b, `<path stroke="%s" stroke-width="%d" shape-rendering="crispEdges" d="`, hexColor(g.Pal.QRDark), g.Module)
	m.runs(g.Hole, func(x, y, n int) {
		py := num(float64(g.QRY+y*g.Module) + float64(g.Module)/2) // the row's centre line
		fmt.Fprintf(&b, "M%d %sh%d", g.QRX+x*g.Module, py, n*g.Module)
	})
	b.WriteString(`"/>`)

	if g.Emblem != nil && g.InCode.W > 0 {
		svgImage(&b, g.Emblem, g.InCode)
	}
	if g.Emblem != nil && g.Beside.W > 0 {
		svgImage(&b, g.Emblem, g.Beside)
	}
	b.Write(text.body)
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

// svgImage embeds the emblem as a PNG at twice the box's size, for
// high-density screens, and at most svgEmblemPixels square: past that the
// SVG grows by kilobytes for detail nobody sees beside a title.
func svgImage(b *bytes.Buffer, e *Emblem, r rect) {
	side := min(svgEmblemPixels, int(math.Ceil(r.W*2)))
	img := e.scaled(side)
	var p bytes.Buffer
	var src image.Image = img
	if pal := toPalettedNRGBA(img); pal != nil {
		src = pal
	}
	// Encoding an in-memory image to a buffer does not fail.
	_ = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&p, src)
	fmt.Fprintf(b, `<image x="%s" y="%s" width="%s" height="%s" xlink:href="data:image/png;base64,`, num(r.X), num(r.Y), num(r.W), num(r.H))
	b.WriteString(base64.StdEncoding.EncodeToString(p.Bytes()))
	b.WriteString(`"/>`)
}

// svgText is the glyph definitions and the text that uses them.
const svgEmblemPixels = 128

type svgText struct{ defs, body []byte }

type glyphKey struct {
	bold bool
	g    sfnt.GlyphIndex
}

// glyphRuns draws lines as <use> of glyph outlines defined once each.
func glyphRuns(lines []textLine) (svgText, error) {
	var out svgText
	if len(lines) == 0 {
		return out, nil
	}
	fs, err := fonts()
	if err != nil {
		return out, err
	}
	var (
		buf        sfnt.Buffer
		ids        = map[glyphKey]string{}
		defined    int
		defs, body bytes.Buffer
	)
	for _, l := range lines {
		f := fs[0]
		if l.Bold {
			f = fs[1]
		}
		fc, err := face(l.Size, l.Bold)
		if err != nil {
			return out, err
		}
		x := l.X
		if l.Center {
			x -= measure(fc, l.Text) / 2
		}
		fmt.Fprintf(&body, `<g fill="%s" transform="translate(%s %s) scale(%s)">`,
			hexColor(l.Color), num(round1(x)), num(l.Y), num(l.Size/glyphUnits))
		// Positions follow font.Drawer exactly (advances and kerning at
		// the drawn size), so SVG and PNG put every glyph in the same place.
		var dot fixed.Int26_6
		prev := rune(-1)
		for _, r := range l.Text {
			if prev >= 0 {
				dot += fc.Kern(prev, r)
			}
			prev = r
			adv, _ := fc.GlyphAdvance(r)
			gi, err := f.GlyphIndex(&buf, r)
			if err != nil {
				return out, err
			}
			k := glyphKey{l.Bold, gi}
			id, ok := ids[k]
			if !ok {
				d, err := glyphPath(f, &buf, gi)
				if err != nil {
					return out, err
				}
				if d != "" {
					id = glyphID(defined)
					defined++
					fmt.Fprintf(&defs, `<path id="%s" d="%s"/>`, id, d)
				}
				ids[k] = id
			}
			if id != "" {
				pos := int(math.Round(float64(dot) / 64 * glyphUnits / l.Size))
				if pos == 0 {
					fmt.Fprintf(&body, `<use xlink:href="#%s"/>`, id)
				} else {
					fmt.Fprintf(&body, `<use xlink:href="#%s" x="%d"/>`, id, pos)
				}
			}
			dot += adv
		}
		body.WriteString(`</g>`)
	}
	out.defs, out.body = defs.Bytes(), body.Bytes()
	return out, nil
}

// glyphID names the n-th glyph defined: a, b, …, Z, then a0, b0, ….
func glyphID(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	id := []byte{letters[n%len(letters)]}
	if n >= len(letters) {
		id = strconv.AppendInt(id, int64(n/len(letters)-1), 36)
	}
	return string(id)
}

// glyphPath returns glyph gi's outline as SVG path data on the glyphUnits
// grid, y down, origin on the baseline; "" for a blank glyph (a space).
func glyphPath(f *sfnt.Font, buf *sfnt.Buffer, gi sfnt.GlyphIndex) (string, error) {
	upem := f.UnitsPerEm()
	segs, err := f.LoadGlyph(buf, gi, fixed.I(int(upem)), nil)
	if err != nil {
		return "", err
	}
	if len(segs) == 0 {
		return "", nil
	}
	scale := float64(glyphUnits) / float64(upem) / 64
	var d []byte
	cx, cy := 0, 0 // the current point, on the grid
	sx, sy := 0, 0 // where the current contour started: z goes back there
	start := true
	pt := func(p fixed.Point26_6) (int, int) {
		return int(math.Round(float64(p.X) * scale)), int(math.Round(float64(p.Y) * scale))
	}
	// rel appends the points relative to the current point, which moves to
	// the last of them.
	rel := func(op byte, ps ...fixed.Point26_6) {
		d = append(d, op)
		x0, y0 := cx, cy
		for i, p := range ps {
			x, y := pt(p)
			d = appendNum(d, x-x0, i == 0)
			d = appendNum(d, y-y0, false)
			if i == len(ps)-1 {
				cx, cy = x, y
			}
		}
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			if !start {
				d = append(d, 'z')
				cx, cy = sx, sy
			}
			start = false
			rel('m', s.Args[0])
			sx, sy = cx, cy
		case sfnt.SegmentOpLineTo:
			rel('l', s.Args[0])
		case sfnt.SegmentOpQuadTo:
			rel('q', s.Args[0], s.Args[1])
		case sfnt.SegmentOpCubeTo:
			rel('c', s.Args[0], s.Args[1], s.Args[2])
		}
	}
	d = append(d, 'z')
	return string(d), nil
}

// appendNum writes n after a command letter (first) or a number, with the
// fewest separators: a minus sign separates on its own.
func appendNum(d []byte, n int, first bool) []byte {
	if !first && n >= 0 {
		d = append(d, ' ')
	}
	return strconv.AppendInt(d, int64(n), 10)
}

func escape(b *bytes.Buffer, s string) {
	// EscapeText only fails when the writer does; a Buffer never does.
	_ = xml.EscapeText(b, []byte(s))
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func hexColor(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }
