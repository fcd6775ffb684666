// Package badge draws a campaign's QR badge: the code, its quiet zone and
// its Vietnamese caption, laid out for a fixed set of sizes, themes and
// layouts, encoded as SVG or PNG.
//
// It is pure: no HTTP, no database, no clock. Given the same Content and
// Variant it returns the same bytes, which is what lets the server cache
// them and compute strong ETags.
package badge

import (
	"fmt"
)

// Content is what a badge shows.
type Content struct {
	// Code is what the QR encodes: the target URL or this server's stable
	// redirect to it.
	Code string
	// Title is the campaign's name, shown by the card layout.
	Title string
	// Caption is the call to action under or beside the code; it is also
	// the image's accessible name.
	Caption string
}

// Render encodes c as variant v. Text is cleaned with CleanText first, so
// NFC and NFD input give identical bytes.
func Render(c Content, v Variant) ([]byte, error) {
	if err := v.Validate(); err != nil {
		return nil, fmt.Errorf("badge: %w", err)
	}
	m, err := Encode(c.Code)
	if err != nil {
		return nil, err
	}
	title, caption := CleanText(c.Title), CleanText(c.Caption)
	g, err := layout(m, title, caption, v)
	if err != nil {
		return nil, fmt.Errorf("badge: layout: %w", err)
	}
	switch v.Format {
	case PNG:
		return encodePNG(m, g)
	default:
		return encodeSVG(m, g, label(title, caption, v.Layout)), nil
	}
}

// label is the image's accessible name: the caption, prefixed by the title
// where the layout shows both.
func label(title, caption string, l Layout) string {
	switch {
	case caption == "":
		return title
	case l == LayoutCard && title != "":
		return title + ": " + caption
	}
	return caption
}
