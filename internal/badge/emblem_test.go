package badge_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/badge"
)

func TestNewEmblem(t *testing.T) {
	e := testEmblem(t)
	if b := e.Image().Bounds(); b.Dx() != badge.EmblemSize || b.Dy() != badge.EmblemSize {
		t.Errorf("emblem is %v, want %d square", b, badge.EmblemSize)
	}
	again, err := badge.NewEmblem(e.PNG())
	if err != nil || again.ID() != e.ID() {
		t.Errorf("NewEmblem(e.PNG()) = %v, %v; want the same emblem", again, err)
	}
	wide := image.NewNRGBA(image.Rect(0, 0, 300, 100))
	for i := range wide.Pix {
		wide.Pix[i] = 0x80
	}
	var p bytes.Buffer
	png.Encode(&p, wide)
	if _, err := badge.NewEmblem(p.Bytes()); err != nil {
		t.Errorf("NewEmblem(a wide PNG): %v", err)
	}
	empty := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	var pe bytes.Buffer
	png.Encode(&pe, empty)
	huge := image.NewGray(image.Rect(0, 0, 5000, 10))
	huge.Set(0, 0, color.White)
	var ph bytes.Buffer
	png.Encode(&ph, huge)
	for name, data := range map[string][]byte{
		"empty file":  nil,
		"too large":   bytes.Repeat([]byte("x"), badge.MaxEmblemBytes+1),
		"jpeg":        []byte("\xff\xd8\xff\xe0 not accepted"),
		"html":        []byte("<html><svg></svg></html>"),
		"doctype":     []byte(`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>`),
		"no viewBox":  []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>`),
		"transparent": pe.Bytes(),
		"too many px": ph.Bytes(),
		"broken png":  []byte("\x89PNG\r\n\x1a\nbroken"),
		"not xml":     []byte("<svg"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := badge.NewEmblem(data)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.Invalid {
				t.Errorf("NewEmblem(%s) = %v, want an Invalid error", name, err)
			}
		})
	}
}

// TestSVGSize keeps the gzipped SVG small: measured on every SVG variant
// of the demo badge, without and with an emblem (which carries a PNG).
func TestSVGSize(t *testing.T) {
	withEmblem := demo
	withEmblem.Emblem = testEmblem(t)
	for _, tt := range []struct {
		name string
		c    badge.Content
		max  int
	}{{"plain", demo, 4 << 10}, {"emblem", withEmblem, 16 << 10}} {
		t.Run(tt.name, func(t *testing.T) {
			worst := 0
			for _, v := range badge.Variants() {
				if v.Format != badge.SVG {
					continue
				}
				b, err := badge.Render(tt.c, v)
				if err != nil {
					t.Fatal(err)
				}
				var z bytes.Buffer
				w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
				w.Write(b)
				w.Close()
				worst = max(worst, z.Len())
				if z.Len() > tt.max {
					t.Errorf("%s %s: %d bytes gzipped (%d raw), over %d", tt.name, v, z.Len(), len(b), tt.max)
				}
				if strings.Contains(string(b), "<text") {
					t.Errorf("%s %s: text depends on the viewer's fonts", tt.name, v)
				}
			}
			t.Logf("%s: largest SVG is %d bytes gzipped", tt.name, worst)
		})
	}
}
