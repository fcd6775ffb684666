package badge

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// encodePNG rasterises g. Text is drawn with the same DejaVu faces it was
// measured with, so a PNG never overflows where the SVG would not.
func encodePNG(m *Matrix, g geometry) ([]byte, error) {
	// RGBA (premultiplied) rather than NRGBA: image/draw has fast paths for
	// drawing uniform colours through alpha masks onto it, which is how both
	// glyphs and the rounded frame are drawn.
	img := image.NewRGBA(image.Rect(0, 0, g.W, g.H))
	if g.Frame {
		fillRoundRect(img, 0, 0, float64(g.W), float64(g.H), g.Radius, g.Pal.Border)
		s := g.Stroke
		fillRoundRect(img, s, s, float64(g.W)-2*s, float64(g.H)-2*s, math.Max(0, g.Radius-s), g.Pal.Background)
	}
	fill(img, image.Rect(g.FieldX, g.FieldY, g.FieldX+g.FieldSize, g.FieldY+g.FieldSize), g.Pal.QRLight)
	dark := image.NewUniform(g.Pal.QRDark)
	m.runs(g.Hole, func(x, y, n int) {
		px, py := g.QRX+x*g.Module, g.QRY+y*g.Module
		draw.Draw(img, image.Rect(px, py, px+n*g.Module, py+g.Module), dark, image.Point{}, draw.Src)
	})
	for _, r := range []rect{g.InCode, g.Beside} {
		if g.Emblem != nil && r.W > 0 {
			drawEmblem(img, g.Emblem, r)
		}
	}
	for _, l := range g.Lines {
		f, err := face(l.Size, l.Bold)
		if err != nil {
			return nil, err
		}
		x := l.X
		if l.Center {
			x -= measure(f, l.Text) / 2
		}
		d := font.Drawer{Dst: img, Src: image.NewUniform(l.Color), Face: f, Dot: fixed.Point26_6{X: toFixed(x), Y: toFixed(l.Y)}}
		d.DrawString(l.Text)
	}
	var b bytes.Buffer
	// Default compression: best compression takes three times as long on
	// large badges for 4 % smaller files.
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	var out image.Image = img
	p := toPaletted(img)
	if p != nil {
		out = p
	}
	if err := enc.Encode(&b, out); err != nil {
		return nil, err
	}
	return withDPI(b.Bytes(), g.DPI), nil
}

// drawEmblem draws e into r, snapped to whole pixels so it stays sharp.
func drawEmblem(dst *image.RGBA, e *Emblem, r rect) {
	x, y := int(math.Round(r.X)), int(math.Round(r.Y))
	side := int(math.Round(r.W))
	draw.Draw(dst, image.Rect(x, y, x+side, y+side), e.scaled(side), image.Point{}, draw.Over)
}

// withDPI inserts a pHYs chunk after IHDR, stating the resolution the
// image is meant for, so print software sizes it right.
func withDPI(p []byte, dpi int) []byte {
	const ihdrEnd = 8 + 4 + 4 + 13 + 4 // signature, IHDR length, type, data, CRC
	if dpi <= 0 || len(p) < ihdrEnd {
		return p
	}
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	chunk := make([]byte, 0, 4+4+9+4)
	chunk = binary.BigEndian.AppendUint32(chunk, 9)
	chunk = append(chunk, "pHYs"...)
	chunk = binary.BigEndian.AppendUint32(chunk, ppm)
	chunk = binary.BigEndian.AppendUint32(chunk, ppm)
	chunk = append(chunk, 1) // unit: metre
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := make([]byte, 0, len(p)+len(chunk))
	out = append(out, p[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, p[ihdrEnd:]...)
}

func toFixed(f float64) fixed.Int26_6 { return fixed.Int26_6(math.Round(f * 64)) }

func fill(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// fillRoundRect paints an anti-aliased rounded rectangle over dst: the
// straight parts as plain rectangles, and only the four corners through the
// rasteriser, whose buffer is a float per pixel of its area (a whole-canvas
// rasteriser would cost 20 MiB on the print size).
func fillRoundRect(dst *image.RGBA, x, y, w, h, r float64, c color.Color) {
	src := image.NewUniform(c)
	ri := int(math.Ceil(r))
	x0, y0, x1, y1 := int(math.Round(x)), int(math.Round(y)), int(math.Round(x+w)), int(math.Round(y+h))
	draw.Draw(dst, image.Rect(x0+ri, y0, x1-ri, y1), src, image.Point{}, draw.Over)
	draw.Draw(dst, image.Rect(x0, y0+ri, x0+ri, y1-ri), src, image.Point{}, draw.Over)
	draw.Draw(dst, image.Rect(x1-ri, y0+ri, x1, y1-ri), src, image.Point{}, draw.Over)
	if ri == 0 {
		return
	}
	const k = 0.5523 // cubic control points for a quarter circle
	f := func(v float64) float32 { return float32(v) }
	z := vector.NewRasterizer(ri, ri)
	mask := image.NewAlpha(image.Rect(0, 0, ri, ri))
	// Each corner: the quarter disc whose centre is (cx, cy) in the
	// corner's own r×r box, then drawn at the corner's place.
	for _, corner := range []struct {
		at     image.Point
		cx, cy float64
	}{
		{image.Pt(x0, y0), float64(ri), float64(ri)},
		{image.Pt(x1-ri, y0), 0, float64(ri)},
		{image.Pt(x0, y1-ri), float64(ri), 0},
		{image.Pt(x1-ri, y1-ri), 0, 0},
	} {
		z.Reset(ri, ri)
		cx, cy := corner.cx, corner.cy
		z.MoveTo(f(cx), f(cy))
		z.LineTo(f(cx+r), f(cy))
		z.CubeTo(f(cx+r), f(cy+r*k), f(cx+r*k), f(cy+r), f(cx), f(cy+r))
		z.CubeTo(f(cx-r*k), f(cy+r), f(cx-r), f(cy+r*k), f(cx-r), f(cy))
		z.CubeTo(f(cx-r), f(cy-r*k), f(cx-r*k), f(cy-r), f(cx), f(cy-r))
		z.CubeTo(f(cx+r*k), f(cy-r), f(cx+r), f(cy-r*k), f(cx+r), f(cy))
		z.ClosePath()
		clear(mask.Pix)
		z.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
		draw.DrawMask(dst, image.Rectangle{Min: corner.at, Max: corner.at.Add(image.Pt(ri, ri))}, src, image.Point{}, mask, image.Point{}, draw.Over)
	}
}

// toPaletted returns img as a paletted image when it has at most 256
// distinct colours, which a badge nearly always has (a few theme colours
// and the anti-aliasing steps between them). The conversion is lossless;
// the PNG is a third the size and quicker to compress. It returns nil when
// img has more colours.
func toPaletted(img *image.RGBA) *image.Paletted {
	b := img.Bounds()
	out := image.NewPaletted(b, nil)
	index := make(map[uint32]uint8, 256)
	last, lastIdx := uint32(0), uint8(0)
	haveLast := false
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):]
		dst := out.Pix[out.PixOffset(b.Min.X, y):]
		for x := 0; x < b.Dx(); x++ {
			p := row[4*x : 4*x+4 : 4*x+4]
			key := uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
			if !haveLast || key != last {
				i, ok := index[key]
				if !ok {
					if len(out.Palette) == 256 {
						return nil
					}
					i = uint8(len(out.Palette))
					index[key] = i
					out.Palette = append(out.Palette, color.RGBA{p[0], p[1], p[2], p[3]})
				}
				last, lastIdx, haveLast = key, i, true
			}
			dst[x] = lastIdx
		}
	}
	return out
}

// toPalettedNRGBA is toPaletted for an emblem's non-premultiplied pixels.
func toPalettedNRGBA(img *image.NRGBA) *image.Paletted {
	b := img.Bounds()
	out := image.NewPaletted(b, nil)
	index := make(map[uint32]uint8, 256)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):]
		dst := out.Pix[out.PixOffset(b.Min.X, y):]
		for x := 0; x < b.Dx(); x++ {
			p := row[4*x : 4*x+4 : 4*x+4]
			key := uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
			i, ok := index[key]
			if !ok {
				if len(out.Palette) == 256 {
					return nil
				}
				i = uint8(len(out.Palette))
				index[key] = i
				out.Palette = append(out.Palette, color.NRGBA{p[0], p[1], p[2], p[3]})
			}
			dst[x] = i
		}
	}
	return out
}
