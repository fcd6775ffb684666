package badge

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/color"
	"strconv"
)

// encodeSVG writes g as a standalone SVG document. Every piece of outside
// text passes through xml.EscapeText, and the document has no script, style
// element, event attribute, link or foreignObject by construction: it is
// made of rect, path and text elements only.
func encodeSVG(m *Matrix, g geometry, label string) []byte {
	var b bytes.Buffer
	b.Grow(4096 + m.N*m.N*4)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="`, g.W, g.H, g.W, g.H)
	escape(&b, label)
	b.WriteString(`"><title>`)
	escape(&b, label)
	b.WriteString(`</title>`)

	if g.Frame {
		// The stroke is centred on the rectangle's edge: inset it by half.
		in := g.Stroke / 2
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="%s" fill="%s" stroke="%s" stroke-width="%s"/>`,
			num(in), num(in), num(float64(g.W)-g.Stroke), num(float64(g.H)-g.Stroke), num(g.Radius),
			hex(g.Pal.Background), hex(g.Pal.Border), num(g.Stroke))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`,
		g.FieldX, g.FieldY, g.FieldSize, g.FieldSize, hex(g.Pal.QRLight))

	// One path for all modules: a horizontal line, as wide as a module is
	// tall, through each run of dark modules. Butt caps make each line
	// exactly the run's rectangle, and a run costs about ten bytes, which
	// keeps a typical badge under 4 KiB: one TCP write with its headers.
	fmt.Fprintf(&b, `<path stroke="%s" stroke-width="%d" shape-rendering="crispEdges" d="`, hex(g.Pal.QRDark), g.Module)
	m.Runs(func(x, y, n int) {
		py := num(float64(g.QRY+y*g.Module) + float64(g.Module)/2) // the row's centre line
		fmt.Fprintf(&b, "M%d %sh%d", g.QRX+x*g.Module, py, n*g.Module)
	})
	b.WriteString(`"/>`)

	if len(g.Lines) > 0 {
		fmt.Fprintf(&b, `<g font-family="%s">`, SVGFontFamily)
		for _, l := range g.Lines {
			anchor := ""
			if l.Center {
				anchor = ` text-anchor="middle"`
			}
			weight := ""
			if l.Bold {
				weight = ` font-weight="bold"`
			}
			fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="%s" fill="%s"%s%s>`,
				num(l.X), num(l.Y), num(l.Size), hex(l.Color), anchor, weight)
			escape(&b, l.Text)
			b.WriteString(`</text>`)
		}
		b.WriteString(`</g>`)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func escape(b *bytes.Buffer, s string) {
	// EscapeText only fails when the writer does; a Buffer never does.
	_ = xml.EscapeText(b, []byte(s))
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func hex(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }
