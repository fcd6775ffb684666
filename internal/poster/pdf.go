package poster

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/go-pdf/fpdf"

	"github.com/oabadge/oabadge/internal/badge"
)

// Font names as the PDF states them. A subset font's name must start with
// six capital letters and a plus sign (PDF 32000 9.6.4), which is how
// preflight tools and print shops tell an embedded subset from a font the
// printer is expected to have. fpdf names a font "utf8" + its key, so the
// fonts are registered under placeholder keys exactly as long as the final
// names, which are put in place after output without moving a byte: the
// cross-reference table stays right.
const (
	regularName = "DejaVuSans"
	boldName    = "DejaVuSans-Bold"
)

var (
	regularKey = placeholder("oabadgereg", len(regularName)+7-4)
	boldKey    = placeholder("oabadgebold", len(boldName)+7-4)
)

func placeholder(s string, n int) string { return s + strings.Repeat("x", n-len(s)) }

// doc is a PDF being drawn, with the runes each font has drawn (for the
// subset names) and the emblems already embedded.
type doc struct {
	pdf     *fpdf.Fpdf
	bold    bool
	used    [2]map[rune]bool
	emblems map[string]bool
}

func newDoc(w, h float64) *doc {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: fpdf.SizeType{Wd: w, Ht: h}})
	pdf.AddUTF8FontFromBytes(regularKey, "", dejavusans.TTF)
	pdf.AddUTF8FontFromBytes(boldKey, "", dejavusansbold.TTF)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCreator("oabadge", true)
	pdf.SetLang("vi")
	// A fixed date keeps the bytes the same for the same input.
	pdf.SetCreationDate(time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetModificationDate(time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	return &doc{pdf: pdf, used: [2]map[rune]bool{{}, {}}, emblems: map[string]bool{}}
}

func (d *doc) font(size float64, bold bool) {
	key := regularKey
	if bold {
		key = boldKey
	}
	d.bold = bold
	d.pdf.SetFont(key, "", size)
}

func (d *doc) width(s string) float64 { return d.pdf.GetStringWidth(s) }

// text draws s with its baseline's left end at (x, y).
func (d *doc) text(x, y float64, s string) {
	i := 0
	if d.bold {
		i = 1
	}
	for _, r := range s {
		d.used[i][r] = true
	}
	d.pdf.Text(x, y, s)
}

// emblem draws e in the square at (x, y), side mm.
func (d *doc) emblem(e *badge.Emblem, x, y, side float64) {
	name := "emblem-" + e.ID()
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	if !d.emblems[name] {
		d.pdf.RegisterImageOptionsReader(name, opts, bytes.NewReader(e.PNG()))
		d.emblems[name] = true
	}
	d.pdf.ImageOptions(name, x, y, side, side, false, opts, 0, "")
}

// code draws m's dark modules as rectangles, one per horizontal run, at
// (x, y) with module mm per module, leaving hole light; vector, so it
// prints sharp at any size. The light field is drawn by the caller.
func (d *doc) code(m *badge.Matrix, hole holeSpec, x, y, module float64) {
	d.pdf.SetFillColor(0, 0, 0)
	m.RunsAround(hole.r, func(cx, cy, n int) {
		d.pdf.Rect(x+float64(cx)*module, y+float64(cy)*module, float64(n)*module, module, "F")
	})
	if hole.emblem != nil && !hole.r.Empty() {
		in := module / 2
		d.emblem(hole.emblem, x+float64(hole.r.Min.X)*module+in, y+float64(hole.r.Min.Y)*module+in,
			float64(hole.r.Dx())*module-2*in)
	}
}

// output writes the PDF and puts the subset names in place.
func (d *doc) output() ([]byte, error) {
	var buf bytes.Buffer
	if err := d.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("poster: %w", err)
	}
	b := buf.Bytes()
	for i, f := range []struct{ key, name string }{{regularKey, regularName}, {boldKey, boldName}} {
		from := []byte("/utf8" + f.key)
		to := []byte("/" + subsetTag(d.used[i]) + "+" + f.name)
		if len(from) != len(to) {
			return nil, fmt.Errorf("poster: font name %q does not fit its placeholder", to)
		}
		b = bytes.ReplaceAll(b, from, to)
	}
	return b, nil
}

// subsetTag is six capital letters that name a subset: derived from the
// glyphs in it, so equal subsets get equal names and the bytes stay the
// same for the same input.
func subsetTag(used map[rune]bool) string {
	rs := make([]rune, 0, len(used))
	for r := range used {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	sum := sha256.Sum256([]byte(string(rs)))
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	return string(tag)
}
