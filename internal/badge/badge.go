// Package badge draws a campaign's QR badge: the code, its quiet zone, its
// Vietnamese title and caption and the agency's emblem, laid out for a
// fixed set of sizes, themes and layouts, encoded as SVG or PNG.
//
// It is pure: no HTTP, no database, no clock. Given the same Content and
// Variant it returns the same bytes, which is what lets the server cache
// them and compute strong ETags.
package badge

import (
	"fmt"
	"strings"
)

// Content is what a badge shows.
type Content struct {
	// Code is what the QR encodes: the target URL or this server's stable
	// redirect to it.
	Code string
	// Title is the campaign's name, shown bold above the caption.
	Title string
	// Caption is the call to action under or beside the code; with the
	// title it is also the image's accessible name.
	Caption string
	// Emblem is the agency's emblem or the OA's logo, shown beside the
	// title; nil for none. Make it with NewEmblem.
	Emblem *Emblem
	// EmblemInCode also puts the emblem in the centre of the code, with
	// error correction raised to level H to make up for the modules it
	// covers. A variant where that code would get fewer than
	// MinModulePixels per module keeps the plain code instead: the
	// emblem never makes a code harder to scan than it would be without.
	EmblemInCode bool
}

// cleaned is a Content ready to lay out: text cleaned, codes encoded.
type cleaned struct {
	title, caption string
	emblem         *Emblem
	plain, holed   *Matrix // holed is nil without an emblem in the code
}

func prepare(c Content) (cleaned, error) {
	m, err := Encode(c.Code)
	if err != nil {
		return cleaned{}, err
	}
	out := cleaned{title: CleanText(c.Title), caption: CleanText(c.Caption), emblem: c.Emblem, plain: m}
	if c.Emblem != nil && c.EmblemInCode {
		// Too long for level H within MaxModules: the plain code serves.
		if h, err := encode(c.Code, ecH); err == nil && h.N <= maxHoledModules {
			out.holed = h
		}
	}
	return out, nil
}

// maxHoledModules is the largest code an emblem goes into: from version 7
// (45 modules) on, an alignment pattern sits in the very centre.
const maxHoledModules = 41

// matrix is the code variant v shows: with the emblem's hole where it
// still gets MinModulePixels per module, else the plain one.
func (c cleaned) matrix(v Variant) *Matrix {
	if c.holed != nil && maxModule(v, c.holed.N+2*QuietZone) >= MinModulePixels*v.Density {
		return c.holed
	}
	return c.plain
}

// Render encodes c as variant v. Text is cleaned with CleanText first, so
// NFC and NFD input give identical bytes.
func Render(c Content, v Variant) ([]byte, error) {
	if err := v.Validate(); err != nil {
		return nil, fmt.Errorf("badge: %w", err)
	}
	cc, err := prepare(c)
	if err != nil {
		return nil, err
	}
	g, err := layout(cc, v)
	if err != nil {
		return nil, fmt.Errorf("badge: layout: %w", err)
	}
	m := cc.matrix(v)
	switch v.Format {
	case PNG:
		return encodePNG(m, g)
	default:
		return encodeSVG(m, g, label(cc.title, cc.caption, v.Layout))
	}
}

// label is the image's accessible name: the caption, prefixed by the title
// where the layout shows both. It names everything the badge can show,
// even where a small size leaves a block out.
func label(title, caption string, l Layout) string {
	title = strings.ReplaceAll(title, string(NBSP), " ")
	caption = strings.ReplaceAll(caption, string(NBSP), " ")
	switch {
	case caption == "":
		return title
	case l != LayoutQR && title != "":
		return title + ": " + caption
	}
	return caption
}
