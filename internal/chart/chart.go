// Package chart draws the console's small charts as SVG: one series over
// days, as bars or as a line. A chart is drawn on the server and inlined
// in the page, so it needs no script; it uses presentation attributes
// (fill, stroke) and no style attribute or element, so the console's
// strict Content-Security-Policy allows it; and it carries a title and a
// description that assistive technology reads, the numbers themselves
// being in a table beside it. Text and axes are drawn in currentColor,
// so they follow the page's light or dark theme.
//
// It knows nothing of HTTP, the database or compliance: it draws numbers.
package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// Kind is how a series is drawn.
type Kind int

// The kinds of chart.
const (
	Bars Kind = iota // a bar per value: counts per day
	Line             // a line through the values, over a light area: a level over time
)

// Chart is one series of values over labelled points (days).
type Chart struct {
	// ID prefixes the ids of the title and description, which must be
	// unique in the page: letters, digits and '-'.
	ID    string
	Title string // what the chart shows, read first by assistive technology
	Desc  string // the gist of it in a sentence, read next
	// Labels name the points, one per value, oldest first; Short, when
	// set, is what the axis shows under some of them (Labels otherwise).
	Labels []string
	Short  []string
	Values []int64
	// Max is the top of the scale; 0 takes it from the values. A level
	// with a known ceiling (agencies in the register) sets it.
	Max   int64
	Kind  Kind
	Color string // #rrggbb: 3:1 against the page's light and dark backgrounds
}

// The drawing's size, in user units; the page scales it to its width.
// It is about the size it is shown at beside its table, so its text reads
// at about the page's small print.
const (
	Width        = 480
	Height       = 150
	marginLeft   = 44
	marginRight  = 8
	marginTop    = 10
	marginBottom = 24
	fontSize     = 12
)

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,63}$`)
	colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// SVG draws the chart: an <svg> element, for inlining in HTML or serving
// alone (it names its namespace). Every text it holds is escaped.
func (c Chart) SVG() ([]byte, error) {
	switch {
	case !idPattern.MatchString(c.ID):
		return nil, fmt.Errorf("chart: id %q: want letters, digits and '-'", c.ID)
	case !colorPattern.MatchString(c.Color):
		return nil, fmt.Errorf("chart: color %q: want #rrggbb", c.Color)
	case len(c.Labels) != len(c.Values) || (c.Short != nil && len(c.Short) != len(c.Values)):
		return nil, errors.New("chart: one label per value")
	case c.Max < 0:
		return nil, errors.New("chart: a negative maximum")
	}
	for _, v := range c.Values {
		if v < 0 {
			return nil, errors.New("chart: a negative value")
		}
	}
	top, ticks := scale(c.Values, c.Max)
	pw, ph := float64(Width-marginLeft-marginRight), float64(Height-marginTop-marginBottom)
	x0, y0 := float64(marginLeft), float64(marginTop)+ph // the origin, bottom left
	n := len(c.Values)
	band := pw / float64(max(n, 1))
	y := func(v int64) float64 { return y0 - float64(v)/float64(top)*ph }
	cx := func(i int) float64 { return x0 + band*(float64(i)+0.5) }

	var b bytes.Buffer
	b.Grow(512 + n*160)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title %s-desc" class="chart">`,
		Width, Height, Width, Height, c.ID, c.ID)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, c.ID, esc(c.Title), c.ID, esc(c.Desc))

	// The scale: a line and a number at each step.
	fmt.Fprintf(&b, `<g fill="currentColor" font-size="%d" text-anchor="end">`, fontSize)
	for _, v := range ticks {
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="currentColor" stroke-opacity="0.25" stroke-width="1"/>`,
			num(x0), num(x0+pw), num(y(v)), num(y(v)))
		fmt.Fprintf(&b, `<text x="%s" y="%s">%s</text>`, num(x0-6), num(y(v)+4), group(v))
	}
	b.WriteString(`</g>`)

	// The days under the axis: about six of them, and always the last.
	every := max(1, (n+5)/6)
	fmt.Fprintf(&b, `<g fill="currentColor" font-size="%d" text-anchor="middle">`, fontSize)
	for i := range n {
		last := i == n-1
		if !last && (i%every != 0 || n-1-i < every/2+1) {
			continue
		}
		label := c.Labels[i]
		if c.Short != nil {
			label = c.Short[i]
		}
		anchor := ""
		if last && n > 1 {
			anchor = ` text-anchor="end"`
		}
		xl := cx(i)
		if anchor != "" {
			xl = x0 + pw
		}
		fmt.Fprintf(&b, `<text x="%s" y="%d"%s>%s</text>`, num(xl), Height-8, anchor, esc(label))
	}
	b.WriteString(`</g>`)

	switch c.Kind {
	case Bars:
		fmt.Fprintf(&b, `<g fill="%s">`, c.Color)
		for i, v := range c.Values {
			if v == 0 {
				continue
			}
			h := max(y0-y(v), 1) // a value too small to see still shows
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s"><title>%s: %s</title></rect>`,
				num(x0+band*float64(i)+band*0.15), num(y0-h), num(band*0.7), num(h), esc(c.Labels[i]), group(v))
		}
		b.WriteString(`</g>`)
	case Line:
		var pts bytes.Buffer
		for i, v := range c.Values {
			if i > 0 {
				pts.WriteByte(' ')
			}
			pts.WriteString(num(cx(i)) + "," + num(y(v)))
		}
		if n > 0 {
			fmt.Fprintf(&b, `<polygon points="%s,%s %s %s,%s" fill="%s" fill-opacity="0.15"/>`,
				num(cx(0)), num(y0), pts.String(), num(cx(n-1)), num(y0), c.Color)
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round"/>`, pts.String(), c.Color)
		}
		fmt.Fprintf(&b, `<g fill="%s">`, c.Color)
		for i, v := range c.Values {
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3"><title>%s: %s</title></circle>`, num(cx(i)), num(y(v)), esc(c.Labels[i]), group(v))
		}
		b.WriteString(`</g>`)
	default:
		return nil, fmt.Errorf("chart: unknown kind %d", c.Kind)
	}
	// The axis itself, over the bars' feet.
	fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="currentColor" stroke-width="1"/>`, num(x0), num(x0+pw), num(y0), num(y0))
	b.WriteString(`</svg>`)
	return b.Bytes(), nil
}

// scale returns the top of the scale and the values marked on it. With
// no ceiling, the marks are a step of 1, 2 or 5 times a power of ten
// apart, at most five steps, and the top is the first mark at or above
// the largest value. With a ceiling (the register's size) the top is the
// ceiling itself, marked, with the steps below it but one too close to
// it to read apart; values above it raise it.
func scale(values []int64, ceiling int64) (top int64, ticks []int64) {
	hi := ceiling
	for _, v := range values {
		hi = max(hi, v)
	}
	if hi <= 0 {
		return 1, []int64{0, 1}
	}
	var step int64
	for p := int64(1); step == 0; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if (hi+m*p-1)/(m*p) <= 5 {
				step = m * p
				break
			}
		}
	}
	top = (hi + step - 1) / step * step
	if ceiling > 0 && hi == ceiling {
		top = ceiling
	}
	for v := int64(0); v < top; v += step {
		if v == 0 || 4*(top-v) >= step {
			ticks = append(ticks, v)
		}
	}
	return top, append(ticks, top)
}

// num writes a coordinate with at most one decimal.
func num(f float64) string { return strconv.FormatFloat(float64(int64(f*10+0.5))/10, 'f', -1, 64) }

// group writes a count with thin spaces between groups of three digits,
// which reads the same in Vietnamese and English.
func group(v int64) string {
	s := strconv.FormatInt(v, 10)
	if len(s) <= 4 {
		return s
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, "\u202f"...)
		}
		b = append(b, s[i])
	}
	return string(b)
}

// esc escapes text for an SVG element or attribute.
func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
