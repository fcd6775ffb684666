package badge_test

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/srwiley/oksvg"
	"github.com/srwiley/rasterx"
)

// decode reads the QR code in a rendered badge with gozxing, an independent
// decoder, rasterising SVG first with oksvg (which skips the text elements
// it does not draw).
func decode(t testing.TB, format string, b []byte) string {
	t.Helper()
	img := rasterise(t, format, b)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("NewBinaryBitmapFromImage: %v", err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding the %s QR code: %v", format, err)
	}
	return res.GetText()
}

func rasterise(t testing.TB, format string, b []byte) image.Image {
	t.Helper()
	if format == "png" {
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("png.Decode: %v", err)
		}
		return onWhite(img)
	}
	icon, err := oksvg.ReadIconStream(bytes.NewReader(b), oksvg.IgnoreErrorMode)
	if err != nil {
		t.Fatalf("oksvg.ReadIconStream: %v", err)
	}
	w, h := int(icon.ViewBox.W), int(icon.ViewBox.H)
	icon.SetTarget(0, 0, float64(w), float64(h))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	icon.Draw(rasterx.NewDasher(w, h, rasterx.NewScannerGV(w, h, img, img.Bounds())), 1)
	return onWhite(img)
}

// onWhite flattens transparent corners onto white, as a page behind the
// badge would.
func onWhite(src image.Image) image.Image {
	b := src.Bounds()
	dst := image.NewRGBA(b)
	for i := range dst.Pix {
		dst.Pix[i] = 0xff
	}
	drawOver(dst, src)
	return dst
}
