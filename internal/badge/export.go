package badge

// TextBox is where one line of text lands, in CSS pixels, measured with the
// font it is drawn with. It exists so callers (and tests) can check that a
// layout keeps its text inside the badge.
type TextBox struct {
	Text     string
	Size     float64 // font size in CSS pixels
	Min, Max struct{ X, Y float64 }
}

// TextBoxes lays out c as v and returns the box of every line of text.
func TextBoxes(c Content, v Variant) ([]TextBox, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	cc, err := prepare(c)
	if err != nil {
		return nil, err
	}
	g, err := layout(cc, v)
	if err != nil {
		return nil, err
	}
	scale := float64(v.Density)
	var out []TextBox
	for _, l := range g.Lines {
		f, err := face(l.Size, l.Bold)
		if err != nil {
			return nil, err
		}
		w := measure(f, l.Text)
		x := l.X
		if l.Center {
			x -= w / 2
		}
		m := f.Metrics()
		var b TextBox
		b.Text = l.Text
		b.Size = l.Size / scale
		b.Min.X, b.Max.X = x/scale, (x+w)/scale
		b.Min.Y, b.Max.Y = (l.Y-fixedToFloat(m.Ascent))/scale, (l.Y+fixedToFloat(m.Descent))/scale
		out = append(out, b)
	}
	return out, nil
}

// CodeGeometry is where a variant's code lands, in device pixels.
type CodeGeometry struct {
	// Module is the side of one module; Modules the code's side in modules
	// (quiet zone not included).
	Module, Modules int
	// X, Y are the top-left corner of module (0, 0).
	X, Y int
	// EmblemInCode reports that the emblem covers the code's centre (the
	// code is then at error-correction level H).
	EmblemInCode bool
}

// Code lays out c as v and returns where its code lands, so tests and
// callers can check module sizes without decoding the image.
func Code(c Content, v Variant) (CodeGeometry, error) {
	if err := v.Validate(); err != nil {
		return CodeGeometry{}, err
	}
	cc, err := prepare(c)
	if err != nil {
		return CodeGeometry{}, err
	}
	g, err := layout(cc, v)
	if err != nil {
		return CodeGeometry{}, err
	}
	m := cc.matrix(v)
	return CodeGeometry{Module: g.Module, Modules: m.N, X: g.QRX, Y: g.QRY, EmblemInCode: !g.Hole.Empty()}, nil
}
