// Package poster makes the print-ready PDF posters that go on one-stop
// desks and at the Public Administrative Service Centre: the QR code as
// vector modules with its full quiet zone, at a size that scans from a
// distance for the paper, the campaign's title and caption in Vietnamese,
// a line telling people to scan with Zalo, the destination in readable
// form, and an optional agency line; and two other print forms, a folded
// A4 tent card for desks and an A4 sheet of 24 stickers.
//
// It is pure: no HTTP, no database. The same input gives the same bytes.
package poster

import (
	"image"
	"math"
	"strings"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/badge"
)

// Paper is a portrait paper size.
type Paper struct {
	Name          string
	Width, Height float64 // mm
	// MinCode is the smallest printed code (modules only, quiet zone not
	// included): about a tenth of the distance it must scan from.
	MinCode float64 // mm
	// Base is the body text size in points; titles are larger.
	Base float64
}

// Papers are the sizes offered: A4 for walls, A5 and A6 for desks.
var Papers = map[string]Paper{
	"a4": {Name: "a4", Width: 210, Height: 297, MinCode: 120, Base: 16},
	"a5": {Name: "a5", Width: 148, Height: 210, MinCode: 85, Base: 12},
	"a6": {Name: "a6", Width: 105, Height: 148, MinCode: 60, Base: 9},
}

// Bleed is added on every side for print shops, with crop marks in it.
const Bleed = 3.0 // mm

// Content is what a poster shows.
type Content struct {
	Code        string // what the QR encodes
	Title       string
	Caption     string
	Instruction string // e.g. "Mở ứng dụng Zalo, chọn Quét mã QR"
	// Destination is where the code leads, as people read it: see
	// badge.ReadableURL. NewContent fills it from the code.
	Destination string
	Agency      string // e.g. "Bộ phận Một cửa UBND huyện …", or ""
	// Emblem is the agency's emblem, printed beside the title; nil for none.
	Emblem *badge.Emblem
	// EmblemInCode also prints the emblem in the centre of the code, at
	// error-correction level H (see badge.EncodeWithHole); content too long
	// for that keeps the plain code.
	EmblemInCode bool
	// Placement is the placement code the Code carries (…?p=CODE), printed
	// on stickers so each is put at its own desk.
	Placement string
}

// Form is a print form.
type Form uint8

// The forms.
const (
	// FormPoster is one poster per page on the chosen paper (the default).
	FormPoster Form = iota
	// FormTent is an A4 sheet folded in half across into a tent card for a
	// desk: two landscape faces, the top one printed upside down so both
	// stand upright once folded. One tent per content.
	FormTent
	// FormStickers is an A4 sheet of 3 × 8 stickers of 70 × 37 mm (the
	// common 24-up label sheet), one content (usually one placement code)
	// per sticker, 24 to a page.
	FormStickers
	numForms
)

var formNames = [...]string{FormPoster: "poster", FormTent: "tent", FormStickers: "stickers"}

func (f Form) String() string {
	if f >= numForms {
		return "unknown"
	}
	return formNames[f]
}

// ParseForm returns the form named s ("poster", "tent", "stickers").
func ParseForm(s string) (Form, bool) {
	for i, n := range formNames {
		if n == s {
			return Form(i), true
		}
	}
	return 0, false
}

// Options choose the form, the paper and bleed. Tents and stickers are
// always on A4: Paper may be left zero or set to A4.
type Options struct {
	Paper Paper
	Bleed bool
	Form  Form
}

// Layout is where a poster's parts land, in mm from the trim box's top
// left (bleed not included). Tests check it; Render draws it.
type Layout struct {
	Paper          Paper
	Module         float64 // mm per module
	CodeX, CodeY   float64 // top left of module (0,0)
	CodeSize       float64 // modules only
	QuietX, QuietY float64 // top left of the light field with the quiet zone
	QuietSize      float64
	// EmblemX, EmblemY and EmblemSize place the emblem beside the title;
	// EmblemSize is 0 without one.
	EmblemX, EmblemY, EmblemSize float64
	Blocks                       []Block
}

// Block is wrapped text in one font size.
type Block struct {
	Lines []string
	Size  float64 // pt
	Bold  bool
	Top   float64 // mm, the top of the first line
	LineH float64 // mm
	// Left is where left-aligned lines start (beside an emblem); 0 centres
	// each line on the page.
	Left float64
}

const ptToMM = 25.4 / 72

// holeSpec is the emblem in a code's centre, if any.
type holeSpec struct {
	r      image.Rectangle
	emblem *badge.Emblem
}

// codeFor encodes c's code: with a hole for the emblem when asked and the
// content allows, else plain.
func codeFor(c Content) (*badge.Matrix, holeSpec, error) {
	m, err := badge.Encode(c.Code)
	if err != nil {
		return nil, holeSpec{}, apperr.Invalidf("poster: %v", err)
	}
	if c.Emblem != nil && c.EmblemInCode {
		if hm, hole, err := badge.EncodeWithHole(c.Code); err == nil {
			return hm, holeSpec{hole, c.Emblem}, nil
		}
	}
	return m, holeSpec{}, nil
}

// Plan lays out c as a poster on o.Paper without drawing: the code as large
// as the page allows (never below Paper.MinCode), the text wrapped the
// Vietnamese way and shrunk, then cut with an ellipsis, so nothing leaves
// the page.
func Plan(c Content, o Options) (Layout, *badge.Matrix, error) {
	m, _, err := codeFor(c)
	if err != nil {
		return Layout{}, nil, err
	}
	l, err := plan(newDoc(o.Paper.Width, o.Paper.Height), c, o.Paper, m)
	return l, m, err
}

func plan(d *doc, c Content, p Paper, m *badge.Matrix) (Layout, error) {
	margin := p.Width * 0.08
	width := p.Width - 2*margin
	l := Layout{Paper: p}

	// Text above the code: the title, beside the emblem. Below: caption,
	// instruction, destination, agency. Each gets a share of the height;
	// the code gets the rest, at least its minimum.
	modules := float64(m.N + 2*badge.QuietZone)
	minField := p.MinCode * modules / float64(m.N)
	y := margin
	titleSize := p.Base * 1.9
	titleWidth := width
	if c.Emblem != nil {
		l.EmblemSize = math.Round(titleSize*ptToMM*1.3*2*10) / 10
		titleWidth -= l.EmblemSize + titleSize*ptToMM*0.6
	}
	title := fitBlock(d, badge.CleanText(c.Title), titleSize, true, titleWidth, 2, p.Height*0.14, false)
	title.Top = y
	rowH := blockHeight(title)
	if c.Emblem != nil {
		rowH = math.Max(rowH, l.EmblemSize)
		title.Top = y + (rowH-blockHeight(title))/2
		lineW := 0.0
		d.font(title.Size, true)
		for _, s := range title.Lines {
			lineW = math.Max(lineW, d.width(s))
		}
		rowW := l.EmblemSize + titleSize*ptToMM*0.6 + lineW
		l.EmblemX = (p.Width - rowW) / 2
		l.EmblemY = y + (rowH-l.EmblemSize)/2
		title.Left = l.EmblemX + l.EmblemSize + titleSize*ptToMM*0.6
	}
	y += rowH + p.Base*0.6*ptToMM

	below := []struct {
		text  string
		size  float64
		bold  bool
		lines int
		url   bool
	}{
		{badge.CleanText(c.Caption), p.Base * 1.3, true, 3, false},
		{badge.CleanText(c.Instruction), p.Base, false, 2, false},
		{badge.CleanText(c.Destination), p.Base * 0.9, false, 2, true},
		{badge.CleanText(c.Agency), p.Base * 1.1, true, 3, false},
	}
	type pending struct {
		b   Block
		url bool
	}
	var blocks []pending
	belowH := 0.0
	for _, b := range below {
		if b.text == "" {
			continue
		}
		blk := fitBlock(d, b.text, b.size, b.bold, width, b.lines, p.Height*0.12, b.url)
		blocks = append(blocks, pending{blk, b.url})
		belowH += blockHeight(blk) + p.Base*0.45*ptToMM
	}
	field := math.Min(width, p.Height-margin-y-belowH-margin)
	if field < minField {
		// Not enough room: shrink the text blocks' budget, never the code.
		field = math.Min(width, minField)
	}
	// Whole hundredths of a mm, never below the minimum code.
	l.Module = math.Max(math.Floor(field/modules*100), math.Ceil(p.MinCode/float64(m.N)*100)) / 100
	l.QuietSize = l.Module * modules
	l.CodeSize = l.Module * float64(m.N)
	l.QuietX = (p.Width - l.QuietSize) / 2
	l.QuietY = y
	l.CodeX = l.QuietX + l.Module*badge.QuietZone
	l.CodeY = l.QuietY + l.Module*badge.QuietZone
	if l.CodeSize < p.MinCode-0.01 {
		return l, apperr.Invalidf("poster: the code would print at %.0f mm, under the %.0f mm minimum for %s", l.CodeSize, p.MinCode, p.Name)
	}
	y = l.QuietY + l.QuietSize + p.Base*0.3*ptToMM
	// Whatever height is left is shared by the text blocks below, which
	// shrink to fit it.
	left := p.Height - margin - y
	l.Blocks = []Block{title}
	for _, b := range blocks {
		blk := shrinkTo(d, b.b, width, left*blockHeight(b.b)/math.Max(belowH, 1), b.url)
		blk.Top = y
		y += blockHeight(blk) + p.Base*0.45*ptToMM
		l.Blocks = append(l.Blocks, blk)
	}
	return l, nil
}

func blockHeight(b Block) float64 { return float64(len(b.Lines)) * b.LineH }

// fitBlock wraps text at size into at most maxLines lines no taller than
// maxHeight, the Vietnamese way (badge.WrapIn; an address only after a
// "/", badge.WrapURLIn). It shrinks the size down to 60 % until the text
// fits without breaking a phrase or leaving a syllable alone, then accepts
// a lesser wrapping that fits, then cuts the last line with an ellipsis.
func fitBlock(d *doc, text string, size float64, bold bool, width float64, maxLines int, maxHeight float64, url bool) Block {
	steps := []float64{1, 0.9, 0.8, 0.7, 0.6}
	wrap := func(s float64) ([]string, bool, int, float64) {
		d.font(s, bold)
		lh := s * ptToMM * 1.3
		n := max(1, min(maxLines, int(maxHeight/lh)))
		var lines []string
		var ok bool
		if url {
			lines, ok = badge.WrapURLIn(d.width, text, width, n)
		} else {
			lines, ok = badge.WrapIn(d.width, text, width, n)
		}
		return lines, ok, n, lh
	}
	for _, clean := range []bool{true, false} {
		for _, f := range steps {
			lines, ok, n, lh := wrap(size * f)
			if len(lines) <= n && (ok || !clean) {
				return Block{Lines: lines, Size: size * f, Bold: bold, LineH: lh}
			}
		}
	}
	s := size * steps[len(steps)-1]
	lines, _, n, lh := wrap(s)
	lines = lines[:n]
	lines[n-1] = badge.Ellipsize(d.width, lines[n-1], width)
	return Block{Lines: lines, Size: s, Bold: bold, LineH: lh}
}

// shrinkTo refits b to a height budget.
func shrinkTo(d *doc, b Block, width, height float64, url bool) Block {
	if blockHeight(b) <= height {
		return b
	}
	sep := " "
	if url {
		sep = ""
	}
	text := strings.TrimSuffix(strings.Join(b.Lines, sep), "…")
	return fitBlock(d, text, b.Size, b.Bold, width, len(b.Lines), height, url)
}

// Render returns the PDF: for FormPoster one poster per content on
// o.Paper, for FormTent one tent card per content, for FormStickers 24
// stickers a page. The document states its title (the first content's),
// subject, author (the agency line) and language (vi); with o.Bleed every
// page has Bleed mm more on each side, crop marks in it, and a TrimBox the
// paper's size inside a BleedBox the page's; without, both boxes are the
// page.
func Render(cs []Content, o Options) ([]byte, error) {
	if len(cs) == 0 {
		return nil, apperr.Invalidf("poster: nothing to print")
	}
	if o.Form >= numForms {
		return nil, apperr.Invalidf("poster: unknown form %d", o.Form)
	}
	if o.Form != FormPoster && o.Paper.Name != "" && o.Paper.Name != "a4" {
		return nil, apperr.Invalidf("poster: %s prints on A4 only", o.Form)
	}
	p := o.Paper
	if o.Form != FormPoster || p.Name == "" {
		p = Papers["a4"]
	}
	off := 0.0
	if o.Bleed {
		off = Bleed
	}
	d := newDoc(p.Width+2*off, p.Height+2*off)
	d.pdf.SetTitle(plain(cs[0].Title), true)
	subject := plain(cs[0].Caption)
	if subject == "" {
		subject = "Mã QR Zalo OA"
	}
	d.pdf.SetSubject(subject, true)
	if a := plain(cs[0].Agency); a != "" {
		d.pdf.SetAuthor(a, true)
	}
	d.pdf.SetPageBox("trim", off, off, p.Width, p.Height)
	d.pdf.SetPageBox("bleed", 0, 0, p.Width+2*off, p.Height+2*off)
	var err error
	switch o.Form {
	case FormTent:
		err = renderTents(d, cs, p, off)
	case FormStickers:
		err = renderStickers(d, cs, p, off)
	default:
		err = renderPosters(d, cs, p, off)
	}
	if err != nil {
		return nil, err
	}
	return d.output()
}

// plain is text cleaned for metadata: no-break spaces as spaces.
func plain(s string) string {
	return strings.ReplaceAll(badge.CleanText(s), string(badge.NBSP), " ")
}

func renderPosters(d *doc, cs []Content, p Paper, off float64) error {
	for _, c := range cs {
		m, hole, err := codeFor(c)
		if err != nil {
			return err
		}
		l, err := plan(d, c, p, m)
		if err != nil {
			return err
		}
		d.pdf.AddPage()
		if off > 0 {
			cropMarks(d, p, off)
		}
		d.pdf.SetFillColor(255, 255, 255)
		d.pdf.Rect(off+l.QuietX, off+l.QuietY, l.QuietSize, l.QuietSize, "F")
		d.code(m, hole, off+l.CodeX, off+l.CodeY, l.Module)
		if c.Emblem != nil && l.EmblemSize > 0 {
			d.emblem(c.Emblem, off+l.EmblemX, off+l.EmblemY, l.EmblemSize)
		}
		for i, b := range l.Blocks {
			if i == 0 {
				d.pdf.SetTextColor(0, 0x5a, 0xe0) // the title in Zalo blue
			} else {
				d.pdf.SetTextColor(0, 0, 0)
			}
			drawBlock(d, b, off, off, p.Width)
		}
	}
	return nil
}

// drawBlock draws b's lines, centred in [x, x+width] or from b.Left, with
// the block's coordinates relative to (x, y).
func drawBlock(d *doc, b Block, x, y, width float64) {
	d.font(b.Size, b.Bold)
	for j, line := range b.Lines {
		lx := x + b.Left
		if b.Left == 0 {
			lx = x + (width-d.width(line))/2
		}
		// Text is placed by its baseline, about 0.78 of a line down.
		d.text(lx, y+b.Top+float64(j)*b.LineH+b.LineH*0.78, line)
	}
}

// drawLeft draws b's lines left-aligned at x, the block's top at y+b.Top.
func drawLeft(d *doc, b Block, x, y float64) {
	d.font(b.Size, b.Bold)
	for j, line := range b.Lines {
		d.text(x, y+b.Top+float64(j)*b.LineH+b.LineH*0.78, line)
	}
}

// cropMarks draws the trim marks in the bleed, at each corner.
func cropMarks(d *doc, p Paper, off float64) {
	pdf := d.pdf
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.1)
	w, h := p.Width+2*off, p.Height+2*off
	for _, x := range []float64{off, w - off} {
		pdf.Line(x, 0, x, off*0.8)
		pdf.Line(x, h, x, h-off*0.8)
	}
	for _, y := range []float64{off, h - off} {
		pdf.Line(0, y, off*0.8, y)
		pdf.Line(w, y, w-off*0.8, y)
	}
}

// Instruction is the line that tells people how to scan.
const Instruction = "Mở ứng dụng Zalo, chọn Quét mã QR và hướng camera vào mã"

// NewContent returns a poster's content for a code, with the standard
// instruction and the destination in readable form (badge.ReadableURL:
// host and path, no tracking query).
func NewContent(code, title, caption, agency string) Content {
	return Content{Code: code, Title: title, Caption: caption, Instruction: Instruction, Destination: badge.ReadableURL(code), Agency: agency}
}
