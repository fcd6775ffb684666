// Package poster makes the print-ready PDF posters that go on one-stop
// desks and at the Public Administrative Service Centre: the QR code as
// vector modules with its full quiet zone, at a size that scans from a
// distance for the paper, the campaign's title and caption in Vietnamese,
// a line telling people to scan with Zalo, the destination in readable
// form, and an optional agency line.
//
// It is pure: no HTTP, no database. The same input gives the same bytes.
package poster

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/go-pdf/fpdf"

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
	Destination string // where the code leads, readable
	Agency      string // e.g. "Bộ phận Một cửa UBND huyện …", or ""
}

// Options choose the paper and bleed.
type Options struct {
	Paper Paper
	Bleed bool
}

// Layout is where a poster's parts land, in mm from the trim box's top
// left (bleed not included). Tests check it; Render draws it.
type Layout struct {
	Paper             Paper
	Module            float64 // mm per module
	CodeX, CodeY      float64 // top left of module (0,0)
	CodeSize          float64 // modules only
	QuietX, QuietY    float64 // top left of the light field with the quiet zone
	QuietSize         float64
	Blocks            []Block
	TextTop, TextBase float64
}

// Block is wrapped text in one font size.
type Block struct {
	Lines []string
	Size  float64 // pt
	Bold  bool
	Top   float64 // mm, the top of the first line
	LineH float64 // mm
}

const ptToMM = 25.4 / 72

// fonts are DejaVu Sans (regular and bold), which cover all of
// Vietnamese; fpdf embeds only the glyphs used (a subset).
func newPDF(w, h float64) *fpdf.Fpdf {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: fpdf.SizeType{Wd: w, Ht: h}})
	pdf.AddUTF8FontFromBytes("DejaVu", "", dejavusans.TTF)
	pdf.AddUTF8FontFromBytes("DejaVu", "B", dejavusansbold.TTF)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCreator("oabadge", true)
	// A fixed date keeps the bytes the same for the same input.
	pdf.SetCreationDate(time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetModificationDate(time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	return pdf
}

// Plan lays out c on the paper without drawing: the code as large as the
// page allows (never below Paper.MinCode), the text wrapped to the width
// and shrunk, then cut with an ellipsis, so nothing leaves the page.
func Plan(c Content, o Options) (Layout, *badge.Matrix, error) {
	m, err := badge.Encode(c.Code)
	if err != nil {
		return Layout{}, nil, err
	}
	p := o.Paper
	pdf := newPDF(p.Width, p.Height)
	margin := p.Width * 0.08
	width := p.Width - 2*margin
	l := Layout{Paper: p}

	// Text above the code: the title. Below: caption, instruction,
	// destination, agency. Each gets a share of the height; the code gets
	// the rest, at least its minimum.
	modules := float64(m.N + 2*badge.QuietZone)
	minField := p.MinCode * modules / float64(m.N)
	y := margin
	title := fit(pdf, badge.CleanText(c.Title), p.Base*1.9, true, width, 2, p.Height*0.14)
	title.Top = y
	y += blockHeight(title) + p.Base*0.6*ptToMM

	below := []struct {
		text  string
		size  float64
		bold  bool
		lines int
	}{
		{badge.CleanText(c.Caption), p.Base * 1.3, true, 3},
		{badge.CleanText(c.Instruction), p.Base, false, 2},
		{badge.CleanText(c.Destination), p.Base * 0.9, false, 2},
		{badge.CleanText(c.Agency), p.Base * 1.1, true, 3},
	}
	var blocks []Block
	belowH := 0.0
	for _, b := range below {
		if b.text == "" {
			continue
		}
		blk := fit(pdf, b.text, b.size, b.bold, width, b.lines, p.Height*0.12)
		blocks = append(blocks, blk)
		belowH += blockHeight(blk) + p.Base*0.45*ptToMM
	}
	field := math.Min(width, p.Height-margin-y-belowH-margin)
	if field < minField {
		// Not enough room: shrink the text blocks' budget, never the code.
		field = math.Min(width, minField)
	}
	l.Module = math.Floor(field/modules*100) / 100 // whole hundredths of a mm
	l.QuietSize = l.Module * modules
	l.CodeSize = l.Module * float64(m.N)
	l.QuietX = (p.Width - l.QuietSize) / 2
	l.QuietY = y
	l.CodeX = l.QuietX + l.Module*badge.QuietZone
	l.CodeY = l.QuietY + l.Module*badge.QuietZone
	if l.CodeSize < p.MinCode-0.01 {
		return l, m, fmt.Errorf("poster: the code would print at %.0f mm, under the %.0f mm minimum for %s", l.CodeSize, p.MinCode, p.Name)
	}
	y = l.QuietY + l.QuietSize + p.Base*0.3*ptToMM
	// Whatever height is left is shared by the text blocks below, which
	// shrink to fit it.
	left := p.Height - margin - y
	for i := range blocks {
		blocks[i] = shrinkTo(pdf, blocks[i], width, left*blockHeight(blocks[i])/math.Max(belowH, 1))
	}
	l.Blocks = append([]Block{title}, blocks...)
	for i := 1; i < len(l.Blocks); i++ {
		l.Blocks[i].Top = y
		y += blockHeight(l.Blocks[i]) + p.Base*0.45*ptToMM
	}
	return l, m, nil
}

func blockHeight(b Block) float64 { return float64(len(b.Lines)) * b.LineH }

func setFont(pdf *fpdf.Fpdf, size float64, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	pdf.SetFont("DejaVu", style, size)
}

// fit wraps text at size into at most maxLines lines no taller than
// maxHeight, shrinking the size down to 60 %, then cutting the last line
// with an ellipsis.
func fit(pdf *fpdf.Fpdf, text string, size float64, bold bool, width float64, maxLines int, maxHeight float64) Block {
	for _, f := range []float64{1, 0.9, 0.8, 0.7, 0.6} {
		s := size * f
		setFont(pdf, s, bold)
		lh := s * ptToMM * 1.3
		lines := badge.Wrap(pdf.GetStringWidth, text, width)
		n := min(maxLines, int(maxHeight/lh))
		if n < 1 {
			n = 1
		}
		if len(lines) <= n || f == 0.6 {
			if len(lines) > n {
				lines = lines[:n]
				lines[n-1] = badge.Ellipsize(pdf.GetStringWidth, lines[n-1], width)
			}
			return Block{Lines: lines, Size: s, Bold: bold, LineH: lh}
		}
	}
	panic("unreachable")
}

// shrinkTo refits b to a height budget.
func shrinkTo(pdf *fpdf.Fpdf, b Block, width, height float64) Block {
	if blockHeight(b) <= height {
		return b
	}
	text := strings.Join(b.Lines, " ")
	return fit(pdf, strings.TrimSuffix(text, "…"), b.Size, b.Bold, width, len(b.Lines), height)
}

// Render returns the poster as PDF, one page per content.
func Render(cs []Content, o Options) ([]byte, error) {
	if len(cs) == 0 {
		return nil, fmt.Errorf("poster: nothing to print")
	}
	p := o.Paper
	off := 0.0
	if o.Bleed {
		off = Bleed
	}
	pdf := newPDF(p.Width+2*off, p.Height+2*off)
	pdf.SetTitle(badge.CleanText(cs[0].Title), true)
	for _, c := range cs {
		l, m, err := Plan(c, o)
		if err != nil {
			return nil, err
		}
		pdf.AddPage()
		if o.Bleed {
			cropMarks(pdf, p, off)
		}
		// The light field, then the dark modules as rectangles, one per
		// horizontal run: vector, so it prints sharp at any size.
		pdf.SetFillColor(255, 255, 255)
		pdf.Rect(off+l.QuietX, off+l.QuietY, l.QuietSize, l.QuietSize, "F")
		pdf.SetFillColor(0, 0, 0)
		m.Runs(func(x, y, n int) {
			pdf.Rect(off+l.CodeX+float64(x)*l.Module, off+l.CodeY+float64(y)*l.Module, float64(n)*l.Module, l.Module, "F")
		})
		pdf.SetTextColor(0, 0, 0)
		for i, b := range l.Blocks {
			setFont(pdf, b.Size, b.Bold)
			if i == 0 {
				pdf.SetTextColor(0, 0x5a, 0xe0) // the title in Zalo blue
			} else {
				pdf.SetTextColor(0, 0, 0)
			}
			for j, line := range b.Lines {
				w := pdf.GetStringWidth(line)
				// Text is placed by its baseline, about 0.8 of a line down.
				pdf.Text(off+(p.Width-w)/2, off+b.Top+float64(j)*b.LineH+b.LineH*0.78, line)
			}
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("poster: %w", err)
	}
	return buf.Bytes(), nil
}

// cropMarks draws the trim marks in the bleed, at each corner.
func cropMarks(pdf *fpdf.Fpdf, p Paper, off float64) {
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
// instruction and the destination written without its scheme.
func NewContent(code, title, caption, agency string) Content {
	dest := strings.TrimPrefix(strings.TrimPrefix(code, "https://"), "http://")
	return Content{Code: code, Title: title, Caption: caption, Instruction: Instruction, Destination: dest, Agency: agency}
}
