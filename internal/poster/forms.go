package poster

import (
	"math"

	"github.com/oabadge/oabadge/internal/badge"
)

// StickerInstruction is the short line printed on each sticker.
const StickerInstruction = "Quét mã bằng Zalo"

// Sticker sheet geometry: the common A4 sheet of 24 labels, 70 × 37 mm,
// three across and eight down, with no gaps.
const (
	stickerCols = 3
	stickerRows = 8
	stickerW    = 70.0
	stickerH    = 37.0
	stickerPad  = 2.5 // inside each sticker, so a label cut a little off keeps the quiet zone
)

// textSpec is one block of a column of text.
type textSpec struct {
	text  string
	size  float64 // pt
	bold  bool
	lines int
	url   bool
	r     uint8 // colour: (r, g, b)
	g, b  uint8
}

// column fits specs into width × height, all shrunk by one factor until
// they fit together, and returns them with Top set from 0, and their
// total height.
func column(d *doc, specs []textSpec, width, height, gap float64) ([]Block, float64) {
	var out []Block
	total := 0.0
	for _, f := range []float64{1, 0.92, 0.85, 0.78, 0.7, 0.62, 0.55} {
		out, total = out[:0], 0
		for _, s := range specs {
			if s.text == "" {
				continue
			}
			b := fitBlock(d, s.text, s.size*f, s.bold, width, s.lines, height, s.url)
			if total > 0 {
				total += gap * f
			}
			b.Top = total
			total += blockHeight(b)
			out = append(out, b)
		}
		if total <= height {
			break
		}
	}
	return out, total
}

// renderTents draws one tent card per content: the A4 page folded across
// its middle, the face below the fold upright and the one above upside
// down, so that both read upright once the card stands on the desk.
func renderTents(d *doc, cs []Content, p Paper, off float64) error {
	faceW, faceH := p.Width, p.Height/2
	for _, c := range cs {
		m, hole, err := codeFor(c)
		if err != nil {
			return err
		}
		d.pdf.AddPage()
		if off > 0 {
			cropMarks(d, p, off)
		}
		// Fold guides in the margin, clear of the faces.
		d.pdf.SetDrawColor(0x99, 0x99, 0x99)
		d.pdf.SetLineWidth(0.2)
		d.pdf.SetDashPattern([]float64{1.5, 1}, 0)
		d.pdf.Line(off, off+faceH, off+6, off+faceH)
		d.pdf.Line(off+p.Width-6, off+faceH, off+p.Width, off+faceH)
		d.pdf.SetDashPattern(nil, 0)
		// The upper face, turned half a circle about its own centre.
		d.pdf.TransformBegin()
		d.pdf.TransformRotate(180, off+faceW/2, off+faceH/2)
		tentFace(d, c, m, hole, off, off, faceW, faceH)
		d.pdf.TransformEnd()
		tentFace(d, c, m, hole, off, off+faceH, faceW, faceH)
	}
	return nil
}

// tentFace draws one face of a tent card in the box at (x, y): the code on
// the left as tall as the face allows, the text in a column on its right.
func tentFace(d *doc, c Content, m *badge.Matrix, hole holeSpec, x, y, w, h float64) {
	const margin = 12.0
	units := float64(m.N + 2*badge.QuietZone)
	module := math.Floor((h-2*margin)/units*100) / 100
	field := module * units
	fx, fy := x+margin, y+(h-field)/2
	d.pdf.SetFillColor(255, 255, 255)
	d.pdf.Rect(fx, fy, field, field, "F")
	q := module * badge.QuietZone
	d.code(m, hole, fx+q, fy+q, module)

	tx := fx + field + 6
	tw := x + w - margin - tx
	th := h - 2*margin
	emblem := 0.0
	if c.Emblem != nil {
		emblem = 16
	}
	specs := []textSpec{
		{text: badge.CleanText(c.Title), size: 20, bold: true, lines: 3, r: 0, g: 0x5a, b: 0xe0},
		{text: badge.CleanText(c.Caption), size: 14, bold: true, lines: 3},
		{text: badge.CleanText(c.Instruction), size: 11, lines: 3},
		{text: badge.CleanText(c.Destination), size: 10, lines: 2, url: true},
		{text: badge.CleanText(c.Agency), size: 12, bold: true, lines: 3},
	}
	colors := specsColors(specs)
	top := emblem
	if emblem > 0 {
		top += 4
	}
	blocks, total := column(d, specs, tw, th-top, 3.5)
	y0 := y + (h-total-top)/2
	if emblem > 0 {
		d.emblem(c.Emblem, tx, y0, emblem)
	}
	for i, b := range blocks {
		col := colors[i]
		d.pdf.SetTextColor(int(col[0]), int(col[1]), int(col[2]))
		drawLeft(d, b, tx, y0+top)
	}
}

// specsColors returns the colours of the non-empty specs, in order.
func specsColors(specs []textSpec) [][3]uint8 {
	var out [][3]uint8
	for _, s := range specs {
		if s.text != "" {
			out = append(out, [3]uint8{s.r, s.g, s.b})
		}
	}
	return out
}

// renderStickers draws the contents 24 to a page, each sticker its code,
// the title, its placement code and a short instruction.
func renderStickers(d *doc, cs []Content, p Paper, off float64) error {
	x0 := off + (p.Width-stickerCols*stickerW)/2
	y0 := off + (p.Height-stickerRows*stickerH)/2
	for i, c := range cs {
		if i%(stickerCols*stickerRows) == 0 {
			d.pdf.AddPage()
			if off > 0 {
				cropMarks(d, p, off)
			}
			// Hairlines where the labels are cut, for sheets cut by hand.
			d.pdf.SetDrawColor(0xcc, 0xcc, 0xcc)
			d.pdf.SetLineWidth(0.1)
			for r := 0; r <= stickerRows; r++ {
				d.pdf.Line(x0, y0+float64(r)*stickerH, x0+stickerCols*stickerW, y0+float64(r)*stickerH)
			}
			for k := 0; k <= stickerCols; k++ {
				d.pdf.Line(x0+float64(k)*stickerW, y0, x0+float64(k)*stickerW, y0+stickerRows*stickerH)
			}
		}
		n := i % (stickerCols * stickerRows)
		sx, sy := x0+float64(n%stickerCols)*stickerW, y0+float64(n/stickerCols)*stickerH
		m, hole, err := codeFor(c)
		if err != nil {
			return err
		}
		units := float64(m.N + 2*badge.QuietZone)
		field := stickerH - 2*stickerPad
		module := math.Floor(field/units*100) / 100
		field = module * units
		fx, fy := sx+stickerPad, sy+(stickerH-field)/2
		d.pdf.SetFillColor(255, 255, 255)
		d.pdf.Rect(fx, fy, field, field, "F")
		q := module * badge.QuietZone
		d.code(m, hole, fx+q, fy+q, module)

		tx := fx + field + 1.5
		tw := sx + stickerW - stickerPad - tx
		th := stickerH - 2*stickerPad
		specs := []textSpec{
			{text: badge.CleanText(c.Title), size: 7.5, bold: true, lines: 2, r: 0, g: 0x5a, b: 0xe0},
			{text: badge.CleanText(c.Placement), size: 10, bold: true, lines: 1, url: true},
			{text: StickerInstruction, size: 6.5, lines: 2},
		}
		colors := specsColors(specs)
		blocks, total := column(d, specs, tw, th, 1.5)
		ty := sy + (stickerH-total)/2
		for j, b := range blocks {
			col := colors[j]
			d.pdf.SetTextColor(int(col[0]), int(col[1]), int(col[2]))
			drawLeft(d, b, tx, ty)
		}
	}
	return nil
}
