package badge

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Format is the image encoding of a badge.
type Format uint8

// The formats.
const (
	SVG Format = iota
	PNG
	numFormats
)

var formatNames = [...]string{SVG: "svg", PNG: "png"}

func (f Format) String() string { return formatNames[f] }

// ContentType is the media type served for f.
func (f Format) ContentType() string {
	if f == PNG {
		return "image/png"
	}
	return "image/svg+xml"
}

// Layout is how the code and its text are arranged.
type Layout uint8

// The layouts.
const (
	// LayoutBadge is the code with the caption wrapped under it (the default).
	LayoutBadge Layout = iota
	// LayoutQR is the code and its quiet zone only.
	LayoutQR
	// LayoutCard is the code beside the title and caption, for wide sidebars.
	LayoutCard
	numLayouts
)

var layoutNames = [...]string{LayoutBadge: "badge", LayoutQR: "qr", LayoutCard: "card"}

func (l Layout) String() string { return layoutNames[l] }

// Theme is the colour scheme. In every theme the code itself stays dark on
// light with its quiet zone: many phone scanners cannot read an inverted code.
type Theme uint8

// The themes.
const (
	ThemeLight Theme = iota
	ThemeDark
	// ThemeMono is pure black on white, for print and high contrast.
	ThemeMono
	numThemes
)

var themeNames = [...]string{ThemeLight: "light", ThemeDark: "dark", ThemeMono: "mono"}

func (t Theme) String() string { return themeNames[t] }

// Sizes are the widths, in CSS pixels, a badge can be rendered at. The list
// is fixed so that every variant can be cached and the key space is bounded.
// PrintSize is for PNG only, at one density: it is the print file.
var Sizes = [...]int{128, 192, 256, 384, 512, 1024, PrintSize}

// PrintSize is the width of the print PNG: 2048 pixels, 17.3 cm at PrintDPI.
const PrintSize = 2048

// PrintDPI is the resolution the print PNG states in its metadata.
const PrintDPI = 300

// Densities are the device-pixel ratios a PNG can be rendered at; 2 is for
// high-density screens. SVG is resolution-independent and ignores density.
var Densities = [...]int{1, 2}

// MinCardSize is the narrowest card Validate accepts. Cards of this size
// were handed out and keep answering, but their code cannot get
// MinModulePixels per module in a box 128 pixels tall: see Offered.
const MinCardSize = 256

// ReferenceCode is the content offered sizes are judged by: a Zalo OA link
// with a 19-digit id, the longest the OAs in use have.
const ReferenceCode = "https://zalo.me/1234567890123456789"

// referenceUnits is ReferenceCode's side in modules, quiet zone included.
var referenceUnits = sync.OnceValue(func() int {
	m, err := Encode(ReferenceCode)
	if err != nil {
		panic(err) // a constant that encodes; tests cover it
	}
	return m.N + 2*QuietZone
})

// Offered reports whether v is a variant to offer webmasters: valid, and
// with at least MinModulePixels device pixels per module for
// ReferenceCode at density 1. Variants that are valid but not offered
// (the 128-pixel badge and qr, the 256-pixel card) still render, with the
// largest code they hold, because pages already embed them; the page that
// builds snippets offers only these.
func (v Variant) Offered() bool {
	if v.Validate() != nil {
		return false
	}
	d := v
	d.Density = 1
	return maxModule(d, referenceUnits()) >= MinModulePixels
}

// OfferedSizes returns the screen sizes (not the print size) offered for
// layout l, smallest first.
func OfferedSizes(l Layout) []int {
	var out []int
	for _, s := range Sizes {
		if s != PrintSize && (Variant{Format: PNG, Layout: l, Size: s, Density: 1}).Offered() {
			out = append(out, s)
		}
	}
	return out
}

// Variant names one renderable form of a badge. The zero value is an SVG
// badge at the smallest size in the light theme.
type Variant struct {
	Format  Format
	Layout  Layout
	Theme   Theme
	Size    int // one of Sizes
	Density int // one of Densities; always 1 for SVG
}

// DefaultVariant is what a request with no query asks for.
func DefaultVariant(f Format) Variant {
	return Variant{Format: f, Layout: LayoutBadge, Theme: ThemeLight, Size: 192, Density: 1}
}

// NumVariants is the number of distinct variants, valid or not: the upper
// bound of Index.
const NumVariants = int(numFormats) * int(numLayouts) * int(numThemes) * len(Sizes) * len(Densities)

// Index returns a dense number in [0, NumVariants) for a valid variant, so
// callers can keep per-variant data in arrays. It returns -1 for an invalid one.
func (v Variant) Index() int {
	si, di := sizeIndex(v.Size), densityIndex(v.Density)
	if si < 0 || di < 0 || v.Format >= numFormats || v.Layout >= numLayouts || v.Theme >= numThemes {
		return -1
	}
	i := int(v.Format)
	i = i*int(numLayouts) + int(v.Layout)
	i = i*int(numThemes) + int(v.Theme)
	i = i*len(Sizes) + si
	i = i*len(Densities) + di
	return i
}

// Variants returns every valid variant, in Index order.
func Variants() []Variant {
	var out []Variant
	for f := Format(0); f < numFormats; f++ {
		for l := Layout(0); l < numLayouts; l++ {
			for t := Theme(0); t < numThemes; t++ {
				for _, s := range Sizes {
					for _, d := range Densities {
						v := Variant{Format: f, Layout: l, Theme: t, Size: s, Density: d}
						if v.Validate() == nil {
							out = append(out, v)
						}
					}
				}
			}
		}
	}
	return out
}

// Validate reports why v cannot be rendered, or nil.
func (v Variant) Validate() error {
	switch {
	case v.Format >= numFormats:
		return fmt.Errorf("unknown format %d", v.Format)
	case v.Layout >= numLayouts:
		return fmt.Errorf("unknown layout %d", v.Layout)
	case v.Theme >= numThemes:
		return fmt.Errorf("unknown theme %d", v.Theme)
	case sizeIndex(v.Size) < 0:
		return fmt.Errorf("size must be one of %s", SizeList)
	case densityIndex(v.Density) < 0:
		return fmt.Errorf("density must be one of %s", DensityList)
	case v.Format == SVG && v.Density != 1:
		return fmt.Errorf("density applies to png only")
	case v.Layout == LayoutCard && v.Size < MinCardSize:
		return fmt.Errorf("layout card needs size %d or more", MinCardSize)
	case v.Size == PrintSize && (v.Format != PNG || v.Density != 1):
		return fmt.Errorf("size %d is for the print PNG, at dpr 1", PrintSize)
	}
	return nil
}

// Dimensions returns the badge's box in CSS pixels, known without rendering,
// so that embed snippets can reserve the space before the image arrives.
func (v Variant) Dimensions() (w, h int) {
	switch v.Layout {
	case LayoutQR:
		return v.Size, v.Size
	case LayoutCard:
		return v.Size, v.Size / 2
	default:
		return v.Size, v.Size * 5 / 4
	}
}

// String returns the variant in query form, for logs and tests.
func (v Variant) String() string {
	return fmt.Sprintf("%s?size=%d&theme=%s&layout=%s&dpr=%d", v.Format, v.Size, v.Theme, v.Layout, v.Density)
}

func sizeIndex(s int) int {
	for i, x := range Sizes {
		if x == s {
			return i
		}
	}
	return -1
}

func densityIndex(d int) int {
	for i, x := range Densities {
		if x == d {
			return i
		}
	}
	return -1
}

// The allowed values as text, for error messages.
var (
	SizeList    = joinInts(Sizes[:len(Sizes)-1]) + " (" + strconv.Itoa(PrintSize) + " for the print png)"
	DensityList = joinInts(Densities[:])
	ThemeList   = strings.Join(themeNames[:], ", ")
	LayoutList  = strings.Join(layoutNames[:], ", ")
	FormatList  = strings.Join(formatNames[:], ", ")
)

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// ParseFormat returns the format named s ("svg" or "png").
func ParseFormat(s string) (Format, bool) {
	for i, n := range formatNames {
		if n == s {
			return Format(i), true
		}
	}
	return 0, false
}

// ParseLayout returns the layout named s.
func ParseLayout(s string) (Layout, bool) {
	for i, n := range layoutNames {
		if n == s {
			return Layout(i), true
		}
	}
	return 0, false
}

// ParseTheme returns the theme named s.
func ParseTheme(s string) (Theme, bool) {
	for i, n := range themeNames {
		if n == s {
			return Theme(i), true
		}
	}
	return 0, false
}

// ParseSize returns the size written s if it is in Sizes. It does not allocate.
func ParseSize(s string) (int, bool) {
	n, ok := atoi(s)
	return n, ok && sizeIndex(n) >= 0
}

// ParseDensity returns the density written s if it is in Densities.
func ParseDensity(s string) (int, bool) {
	n, ok := atoi(s)
	return n, ok && densityIndex(n) >= 0
}

// atoi parses a short decimal without allocating, refusing signs, spaces
// and anything longer than five digits.
func atoi(s string) (int, bool) {
	if len(s) == 0 || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
