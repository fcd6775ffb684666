package badge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"math"

	"github.com/srwiley/oksvg"
	"github.com/srwiley/rasterx"
	xdraw "golang.org/x/image/draw"

	"github.com/oabadge/oabadge/internal/apperr"
)

// EmblemSize is the side, in pixels, of the square raster every emblem is
// kept as: enough for the largest place it is drawn (beside the title of a
// 1024-pixel card, or the print PNG's code centre) at print quality.
const EmblemSize = 256

// MaxEmblemBytes is the largest emblem file accepted.
const MaxEmblemBytes = 512 << 10

// maxEmblemSide bounds a PNG emblem's width and height before it is
// decoded, so a small file cannot ask for a huge image.
const maxEmblemSide = 4096

// Emblem is an agency's emblem or an OA's logo, sanitised: whatever was
// uploaded (PNG or SVG) is drawn once into an EmblemSize square raster with
// a transparent background, and only that raster is ever drawn or served.
// An SVG's scripts, links and external references are never carried over:
// it is rasterised here, not passed on. An Emblem is immutable and safe
// for concurrent use.
type Emblem struct {
	img *image.NRGBA
	png []byte
	id  string
}

// NewEmblem reads an uploaded emblem: a PNG, or an SVG (which it
// rasterises). It refuses, with an apperr Invalid error, anything larger
// than MaxEmblemBytes, a PNG wider or taller than 4096 pixels, other file
// types, an SVG with a DOCTYPE, and an image that draws nothing. The
// emblem is scaled to fit EmblemSize, keeping its proportions, centred.
func NewEmblem(data []byte) (*Emblem, error) {
	if len(data) == 0 {
		return nil, apperr.Invalidf("emblem: the file is empty")
	}
	if len(data) > MaxEmblemBytes {
		return nil, apperr.Invalidf("emblem: the file is %d KiB, at most %d KiB are accepted", (len(data)+1023)/1024, MaxEmblemBytes>>10)
	}
	var (
		img *image.NRGBA
		err error
	)
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		img, err = emblemFromPNG(data)
	case isSVG(data):
		img, err = emblemFromSVG(data)
	default:
		return nil, apperr.Invalidf("emblem: the file must be a PNG or SVG image")
	}
	if err != nil {
		return nil, err
	}
	if !drawsSomething(img) {
		return nil, apperr.Invalidf("emblem: the image is empty or fully transparent")
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		return nil, fmt.Errorf("emblem: encoding: %w", err)
	}
	sum := sha256.Sum256(b.Bytes())
	return &Emblem{img: img, png: b.Bytes(), id: hex.EncodeToString(sum[:6])}, nil
}

// PNG returns the sanitised emblem as a PNG, EmblemSize pixels square: the
// form to store and to serve. The caller must not modify it. NewEmblem
// given these bytes returns the same emblem.
func (e *Emblem) PNG() []byte { return e.png }

// Image returns the sanitised emblem. The caller must not modify it.
func (e *Emblem) Image() image.Image { return e.img }

// ID is a short, stable name for the emblem, derived from its pixels.
func (e *Emblem) ID() string { return e.id }

func emblemFromPNG(data []byte) (*image.NRGBA, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, apperr.Invalidf("emblem: not a readable PNG")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxEmblemSide || cfg.Height > maxEmblemSide {
		return nil, apperr.Invalidf("emblem: the PNG is %d×%d pixels, at most %d×%d are accepted", cfg.Width, cfg.Height, maxEmblemSide, maxEmblemSide)
	}
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, apperr.Invalidf("emblem: not a readable PNG")
	}
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, EmblemSize, EmblemSize))
	xdraw.CatmullRom.Scale(dst, fitSquare(float64(b.Dx()), float64(b.Dy()), EmblemSize), src, b, draw.Over, nil)
	return dst, nil
}

// fitSquare returns the rectangle a w×h image takes, scaled to fit a
// side×side square and centred in it.
func fitSquare(w, h float64, side int) image.Rectangle {
	s := float64(side) / math.Max(w, h)
	dw, dh := int(math.Round(w*s)), int(math.Round(h*s))
	x, y := (side-dw)/2, (side-dh)/2
	return image.Rect(x, y, x+max(dw, 1), y+max(dh, 1))
}

// isSVG reports whether data is an XML document whose root is <svg>.
func isSVG(data []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t.Name.Local == "svg"
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return false
			}
		}
	}
}

func emblemFromSVG(data []byte) (img *image.NRGBA, err error) {
	// A DOCTYPE can declare entities; no emblem needs one.
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, apperr.Invalidf("emblem: the SVG is not well-formed XML")
		}
		if _, ok := tok.(xml.Directive); ok {
			return nil, apperr.Invalidf("emblem: the SVG has a DOCTYPE, which is not accepted")
		}
	}
	// The rasteriser is not written for hostile input; a panic in it is the
	// file's fault, not the server's.
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, apperr.Invalidf("emblem: the SVG cannot be drawn")
		}
	}()
	icon, err := oksvg.ReadIconStream(bytes.NewReader(data), oksvg.IgnoreErrorMode)
	if err != nil {
		return nil, apperr.Invalidf("emblem: the SVG cannot be read")
	}
	vw, vh := icon.ViewBox.W, icon.ViewBox.H
	if !(vw > 0 && vh > 0) || math.IsInf(vw, 0) || math.IsInf(vh, 0) || vw/vh > 100 || vh/vw > 100 {
		return nil, apperr.Invalidf("emblem: the SVG needs a viewBox (or width and height) of sensible proportions")
	}
	r := fitSquare(vw, vh, EmblemSize)
	icon.SetTarget(float64(r.Min.X), float64(r.Min.Y), float64(r.Dx()), float64(r.Dy()))
	rgba := image.NewRGBA(image.Rect(0, 0, EmblemSize, EmblemSize))
	icon.Draw(rasterx.NewDasher(EmblemSize, EmblemSize, rasterx.NewScannerGV(EmblemSize, EmblemSize, rgba, rgba.Bounds())), 1)
	out := image.NewNRGBA(rgba.Bounds())
	draw.Draw(out, out.Bounds(), rgba, image.Point{}, draw.Src)
	return out, nil
}

// drawsSomething reports whether at least a hundredth of img is not
// transparent.
func drawsSomething(img *image.NRGBA) bool {
	n := 0
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] > 0x20 {
			n++
		}
	}
	return n*100 >= EmblemSize*EmblemSize
}

// scaled returns the emblem drawn at side×side pixels.
func (e *Emblem) scaled(side int) *image.NRGBA {
	side = max(side, 1)
	if side == EmblemSize {
		return e.img
	}
	dst := image.NewNRGBA(image.Rect(0, 0, side, side))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), e.img, e.img.Bounds(), draw.Src, nil)
	return dst
}
