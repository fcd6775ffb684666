package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/compliance"
)

// TestReferrerFlood sends 200,000 badge requests, each from a different
// forged referring site, through the real handler: the database keeps at
// most the limit of named sites per campaign and day (the rest as
// (other), nothing lost), and the report stays small.
func TestReferrerFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("the flood takes a few seconds")
	}
	f := newAdminFixture(t, false)
	ctx := context.Background()
	const flood = 200_000
	for i := range flood {
		r := httptest.NewRequest("GET", "/b/bnv.svg", nil)
		r.Header.Set("Referer", fmt.Sprintf("https://forged-%06d.example/", i))
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("request %d = %d", i, w.Code)
		}
		if i%40_000 == 39_999 { // a flush interval's worth of keys
			if err := f.flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.flush(); err != nil {
		t.Fatal(err)
	}
	day := compliance.Day(f.clock.Now())
	counts, err := f.st.Counts(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	sites, rows := map[string]bool{}, 0
	var total int64
	for _, c := range counts {
		if c.Campaign == "bnv" && c.Day == day {
			sites[c.Site] = true
			rows++
			total += c.N
		}
	}
	t.Logf("%d requests from distinct sites: %d rows, %d sites (limit %d + (other)), %d counted", flood, rows, len(sites), compliance.DefaultMaxSites, total)
	if len(sites) > compliance.DefaultMaxSites+1 || rows > compliance.DefaultMaxSites+1 || !sites[compliance.OtherSite] {
		t.Errorf("bnv on %s holds %d sites in %d rows; want at most %d, (other) among them", day, len(sites), rows, compliance.DefaultMaxSites+1)
	}
	if total != flood {
		t.Errorf("%d impressions stored, want all %d", total, flood)
	}

	code, body, res := f.callRaw(t, "vi", "GET", "/api/v1/admin/report?campaign=bnv", "", "")
	raw, _ := json.Marshal(body)
	t.Logf("report JSON: %d bytes, %d unmatched sites listed of %v", len(raw), len(body["unmatched_sites"].([]any)), body["unmatched_total"])
	if code != 200 || len(raw) > 32<<10 || len(body["unmatched_sites"].([]any)) != compliance.MaxListedSites || body["unmatched_total"] != float64(compliance.DefaultMaxSites) {
		t.Errorf("report = %d, %d bytes, unmatched total %v; want 200, under 32 KiB, %d listed of %d", code, len(raw), body["unmatched_total"], compliance.MaxListedSites, compliance.DefaultMaxSites)
	}
	_ = res
	page := f.callPage(t, "vi", "/admin/report?campaign=bnv")
	html, _ := io.ReadAll(page.Body)
	t.Logf("report page: %d bytes", len(html))
	if page.StatusCode != 200 || len(html) > 64<<10 || !strings.Contains(string(html), fmt.Sprintf("(%d / %d)", compliance.MaxListedSites, compliance.DefaultMaxSites)) {
		t.Errorf("console report = %d, %d bytes; want 200, under 64 KiB, naming %d of %d sites", page.StatusCode, len(html), compliance.MaxListedSites, compliance.DefaultMaxSites)
	}
}

// TestReportPages: the report's rows come a page at a time, in the API
// and the console; the CSV has them all.
func TestReportPages(t *testing.T) {
	f := newAdminFixture(t, false)
	var reg strings.Builder
	reg.WriteString("name,kind,homepage\n")
	for i := range 250 {
		fmt.Fprintf(&reg, "Xã %03d,commune,https://xa%03d.example/\n", i, i)
	}
	if code, body := f.csvImport(t, "ed", reg.String()); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	for _, tt := range []struct {
		query             string
		rows, page, pages int
		first             string
	}{
		{"", 100, 1, 3, "Xã 000"},
		{"page=3", 50, 3, 3, "Xã 200"},
		{"page=2&per_page=200", 50, 2, 2, "Xã 200"},
		{"page=9", 0, 9, 3, ""},
		{"per_page=1000", 250, 1, 1, "Xã 000"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			code, body, _ := f.call(t, "vi", "GET", "/api/v1/admin/report?"+tt.query, nil)
			rows, _ := body["rows"].([]any)
			if code != 200 || len(rows) != tt.rows || body["page"] != float64(tt.page) || body["pages"] != float64(tt.pages) || body["total_rows"] != 250.0 {
				t.Fatalf("report?%s = %d: %d rows, page %v of %v, total %v; want %d rows, page %d of %d, 250", tt.query, code, len(rows), body["page"], body["pages"], body["total_rows"], tt.rows, tt.page, tt.pages)
			}
			if len(rows) > 0 && rows[0].(map[string]any)["name"] != tt.first {
				t.Errorf("first row %v, want %s", rows[0].(map[string]any)["name"], tt.first)
			}
		})
	}
	for _, q := range []string{"page=0", "page=x", "per_page=0", "per_page=1001"} {
		if code, _, _ := f.call(t, "vi", "GET", "/api/v1/admin/report?"+q, nil); code != 400 {
			t.Errorf("report?%s = %d, want 400", q, code)
		}
	}
	html, _ := io.ReadAll(f.callPage(t, "vi", "/admin/report?kind=commune&page=2").Body)
	if n := strings.Count(string(html), `href="/admin/agencies/`); n != 100 {
		t.Errorf("console page 2 lists %d agencies, want 100", n)
	}
	for _, want := range []string{`2 / 3 (250)`, `href="/admin/report?kind=commune&amp;page=1" rel="prev"`, `href="/admin/report?kind=commune&amp;page=3" rel="next"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("console page 2 lacks %s", want)
		}
	}
	_, _, res := f.call(t, "vi", "GET", "/api/v1/admin/report?format=csv&page=2", nil)
	recs, err := csv.NewReader(res.Body).ReadAll()
	if err != nil || len(recs) != 251 {
		t.Errorf("CSV: %d records, %v; want a header and all 250 rows", len(recs), err)
	}
}

// formulaCell finds a cell a spreadsheet would read as a formula: one
// starting with = + - @ (or their full-width forms) once byte-order marks,
// spaces and quotes are dropped.
var formulaCell = regexp.MustCompile("^[\ufeff\u200b\u00a0 \"\t\r\n\v\f]*[=+\\-@\uff1d\uff0b\uff0d\uff20]")

// spreadsheetCells reads data as spreadsheets do: as CSV with ',', ';' or
// tab between cells, and also naively, split on every separator and line
// end with quotes ignored, as the least careful one does.
func spreadsheetCells(t *testing.T, data string) []string {
	t.Helper()
	var cells []string
	for _, sep := range []rune{',', ';', '\t'} {
		r := csv.NewReader(strings.NewReader(data))
		r.Comma, r.LazyQuotes, r.FieldsPerRecord = sep, true, -1
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("reading with %q between cells: %v", sep, err)
		}
		for _, rec := range recs {
			cells = append(cells, rec...)
		}
	}
	cells = append(cells, strings.FieldsFunc(data, func(r rune) bool { return strings.ContainsRune(",;\t\r\n", r) })...)
	return cells
}

// TestCSVExportsHaveNoFormula puts text a spreadsheet would run into the
// register and the audit trail, and opens every export as spreadsheets do.
func TestCSVExportsHaveNoFormula(t *testing.T) {
	f := newAdminFixture(t, false)
	hostile := []string{"x;=1+1", "\ufeff=HYPERLINK(\"https://evil.example\")", "\t=cmd|' /C calc'!A0", "ok,@SUM(A1)", " -2+3", "\uff1d1+1", "a\r\n+1", "b;\"=2\""}
	var reg strings.Builder
	cw := csv.NewWriter(&reg)
	cw.Write([]string{"name", "kind", "homepage", "parent", "contact"})
	for i, h := range hostile {
		cw.Write([]string{"Cơ quan " + itoa(i) + " " + h, "unit", "https://h" + itoa(i) + ".example/", "", h})
	}
	cw.Flush()
	if code, body := f.csvImport(t, "ed", reg.String()); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	// A user agent is recorded in the audit trail as the client sent it.
	r := httptest.NewRequest("POST", "/api/v1/admin/agencies", strings.NewReader("name,kind,homepage\nZ,unit,https://z.example/\n"))
	r.Header.Set("Content-Type", "text/csv")
	r.Header.Set("Authorization", "Bearer "+f.tokens["ed"])
	r.Header.Set("User-Agent", "=1+1;@x")
	f.h.ServeHTTP(httptest.NewRecorder(), r)
	for _, path := range []string{"/api/v1/admin/agencies?format=csv", "/api/v1/admin/report?format=csv", "/api/v1/admin/audit?format=csv"} {
		t.Run(path, func(t *testing.T) {
			_, _, res := f.call(t, "vi", "GET", path, nil)
			data, _ := io.ReadAll(res.Body)
			if !strings.HasPrefix(string(data), "\ufeff") {
				t.Errorf("no byte-order mark")
			}
			for _, cell := range spreadsheetCells(t, strings.TrimPrefix(string(data), "\ufeff")) {
				if formulaCell.MatchString(cell) {
					t.Errorf("a spreadsheet reads %q as a formula", cell)
				}
			}
			if path != "/api/v1/admin/audit?format=csv" && !strings.Contains(string(data), "x;'=1+1") {
				t.Errorf("the text itself should survive, defused: %q", data)
			}
		})
	}
}
