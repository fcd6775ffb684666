package chart_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/chart"
)

// days returns n labels 2026-07-01 onwards and their short forms.
func days(n int) (labels, short []string) {
	for i := range n {
		labels = append(labels, fmt.Sprintf("2026-07-%02d", i+1))
		short = append(short, fmt.Sprintf("%02d/07", i+1))
	}
	return labels, short
}

// element is what the walk below keeps of each element.
type element struct {
	name  string
	attrs map[string]string
	text  string
}

// parse decodes svg strictly, failing on anything that is not well-formed
// XML, and returns its elements in order.
func parse(t *testing.T, svg []byte) []element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = true
	var out []element
	var open []int
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed: %v\n%s", err, svg)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			e := element{name: x.Name.Local, attrs: map[string]string{}}
			for _, a := range x.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			open = append(open, len(out)-1)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				out[open[len(open)-1]].text += string(x)
			}
		case xml.ProcInst, xml.Directive:
			t.Errorf("the SVG holds %T %v", x, x)
		}
	}
	return out
}

func TestSVG(t *testing.T) {
	labels, short := days(30)
	values := make([]int64, 30)
	for i := range values {
		values[i] = int64(i * i * 37)
	}
	levels := make([]int64, 30)
	for i := range levels {
		levels[i] = int64(i / 3)
	}
	for _, c := range []struct {
		name  string
		chart chart.Chart
		marks string // the element drawing each value
		want  int
	}{
		{"bars", chart.Chart{ID: "impressions", Title: "Lượt hiển thị mỗi ngày <b>&</b>", Desc: "30 ngày", Labels: labels, Short: short,
			Values: values, Kind: chart.Bars, Color: "#2b7bd6"}, "rect", 29},
		{"line", chart.Chart{ID: "compliant", Title: "Cơ quan đạt", Desc: "\"quoted\" & <tagged>", Labels: labels, Values: levels,
			Max: 12, Kind: chart.Line, Color: "#1f8a4c"}, "circle", 30},
		{"one day", chart.Chart{ID: "one", Title: "t", Desc: "d", Labels: labels[:1], Values: []int64{0}, Kind: chart.Line, Color: "#1f8a4c"}, "circle", 1},
		{"no days", chart.Chart{ID: "none", Title: "t", Desc: "d", Kind: chart.Bars, Color: "#1f8a4c"}, "rect", 0},
		{"all zero", chart.Chart{ID: "zero", Title: "t", Desc: "d", Labels: labels, Values: make([]int64, 30), Kind: chart.Bars, Color: "#d9480f"}, "rect", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			svg, err := c.chart.SVG()
			if err != nil {
				t.Fatal(err)
			}
			els := parse(t, svg)
			if len(els) == 0 || els[0].name != "svg" || els[0].attrs["role"] != "img" {
				t.Fatalf("the root is %+v, want <svg role=img>", els[0])
			}
			ids := map[string]string{}
			marks := 0
			for _, e := range els {
				switch e.name {
				case "script", "style", "foreignObject", "a", "image", "use":
					t.Errorf("the SVG holds a <%s>", e.name)
				case c.marks:
					marks++
				}
				for k, v := range e.attrs {
					if k == "style" || strings.HasPrefix(k, "on") || k == "href" {
						t.Errorf("<%s> has the attribute %s=%q", e.name, k, v)
					}
				}
				if id := e.attrs["id"]; id != "" {
					ids[id] = e.text
				}
			}
			for _, id := range strings.Fields(els[0].attrs["aria-labelledby"]) {
				if _, ok := ids[id]; !ok {
					t.Errorf("aria-labelledby names %q, which is not in the SVG", id)
				}
			}
			if ids[c.chart.ID+"-title"] != c.chart.Title || ids[c.chart.ID+"-desc"] != c.chart.Desc {
				t.Errorf("title %q and desc %q read back; want %q and %q", ids[c.chart.ID+"-title"], ids[c.chart.ID+"-desc"], c.chart.Title, c.chart.Desc)
			}
			if marks != c.want {
				t.Errorf("%d <%s>, want %d", marks, c.marks, c.want)
			}
		})
	}
}

func TestSVGRefuses(t *testing.T) {
	labels, _ := days(2)
	for name, c := range map[string]chart.Chart{
		"id with a quote":    {ID: `x" onload="alert(1)`, Labels: labels, Values: []int64{1, 2}, Color: "#000000"},
		"colour not a hex":   {ID: "x", Labels: labels, Values: []int64{1, 2}, Color: "red;fill:url(javascript:1)"},
		"labels too few":     {ID: "x", Labels: labels[:1], Values: []int64{1, 2}, Color: "#000000"},
		"a negative value":   {ID: "x", Labels: labels, Values: []int64{1, -2}, Color: "#000000"},
		"an unknown kind":    {ID: "x", Labels: labels, Values: []int64{1, 2}, Color: "#000000", Kind: 7},
		"a negative ceiling": {ID: "x", Labels: labels, Values: []int64{1, 2}, Color: "#000000", Max: -1},
	} {
		t.Run(name, func(t *testing.T) {
			if svg, err := c.SVG(); err == nil {
				t.Errorf("SVG() = %s, want an error", svg)
			}
		})
	}
}

func TestScaleLabels(t *testing.T) {
	for _, c := range []struct {
		name   string
		values []int64
		max    int64
		want   []string // the scale's numbers, bottom up
	}{
		{"small counts", []int64{0, 3, 1}, 0, []string{"0", "1", "2", "3"}},
		{"a ceiling", []int64{1, 2}, 4, []string{"0", "1", "2", "3", "4"}},
		{"a ceiling off the steps", []int64{3, 74}, 120, []string{"0", "50", "100", "120"}},
		{"a ceiling just past a step", []int64{3, 74}, 105, []string{"0", "50", "105"}},
		{"values over the ceiling", []int64{3, 130}, 120, []string{"0", "50", "100", "150"}},
		{"seven", []int64{7}, 0, []string{"0", "2", "4", "6", "8"}},
		{"thousands", []int64{1234, 20001}, 0, []string{"0", "5000", "10\u202f000", "15\u202f000", "20\u202f000", "25\u202f000"}},
		{"nothing", []int64{0, 0}, 0, []string{"0", "1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			labels, _ := days(len(c.values))
			svg, err := chart.Chart{ID: "s", Title: "t", Desc: "d", Labels: labels, Values: c.values, Max: c.max, Kind: chart.Bars, Color: "#2b7bd6"}.SVG()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range parse(t, svg) {
				if e.name == "text" && !strings.HasPrefix(e.text, "2026") {
					got = append(got, e.text)
				}
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("scale = %q, want %q", got, c.want)
			}
		})
	}
}
