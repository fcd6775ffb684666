package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/compliance"
)

// seedProgress fills the register with n agencies of every kind and the 30
// days up to now with checks (every third day) and counts, through the
// store, so the report's history has something to show: agencies take up
// the badge one after another, a few of them blocked by their CSP.
func seedProgress(t testing.TB, a *app.App, n int, now time.Time) {
	t.Helper()
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("name,kind,homepage,parent,contact\n")
	for i := range n {
		kind, name, parent := agencyOf(i)
		fmt.Fprintf(&csv, "%s,%s,https://p%04d.hungyen.example/,%s,Văn phòng %d\n", name, kind, i, parent, i)
	}
	if _, _, err := a.Compliance.Import(ctx, strings.NewReader(csv.String()), testActor); err != nil {
		t.Fatal(err)
	}
	list, err := a.Store.Agencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, x := range list {
		ids[x.Name] = x.ID
	}
	start := now.AddDate(0, 0, -29)
	for d := range 30 {
		at := start.AddDate(0, 0, d)
		var rs []compliance.Result
		var cs []compliance.Count
		for i := range n {
			_, name, _ := agencyOf(i)
			adopts := (i * 7) % 45 // the day it puts the badge up; past 29, not yet
			site := fmt.Sprintf("https://p%04d.hungyen.example", i)
			blocked := i%11 == 3
			if d%3 == i%3 {
				r := compliance.Result{AgencyID: ids[name], Campaign: "bnv", Status: compliance.Missing, Reason: "no script, image or iframe of this campaign on the page", CheckedAt: at}
				switch {
				case d >= adopts && blocked:
					r.Status, r.Reason, r.Fix = compliance.Blocked, "the page's CSP img-src does not allow the badge", "img-src 'self' "+publicURL
				case d >= adopts:
					r.Status, r.Reason = compliance.Embedded, "the image loads"
				case i%13 == 5:
					r.Status, r.Reason = compliance.Unreachable, "no answer within 15 s"
				}
				rs = append(rs, r)
			}
			if d >= adopts && !blocked && i%4 != 0 {
				day := compliance.Day(at)
				cs = append(cs, compliance.Count{Campaign: "bnv", Site: site, Day: day, Event: compliance.Image, N: int64(20 + (i*d)%60)})
				if (i+d)%3 == 0 {
					cs = append(cs, compliance.Count{Campaign: "bnv", Site: site, Day: day, Event: compliance.Click, N: int64(1 + i%4)})
				}
			}
		}
		if err := a.Store.SaveResults(ctx, rs); err != nil {
			t.Fatal(err)
		}
		if len(cs) > 0 {
			if err := a.Store.AddCounts(ctx, cs, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// agencyOf names the i-th agency of seedProgress's register: two in three
// are communes under a district, as in a province.
func agencyOf(i int) (kind compliance.Kind, name, parent string) {
	switch i % 15 {
	case 0:
		return compliance.Department, fmt.Sprintf("Sở Nội vụ %d", i), ""
	case 1:
		return compliance.Unit, fmt.Sprintf("Trung tâm Phục vụ hành chính công %d", i), ""
	case 2, 3:
		return compliance.District, fmt.Sprintf("UBND huyện Văn Lâm %d", i), ""
	case 4:
		return compliance.Other, fmt.Sprintf("Ban Quản lý khu công nghiệp %d", i), ""
	}
	return compliance.Commune, fmt.Sprintf("UBND xã Lạc Đạo %d", i), fmt.Sprintf("UBND huyện Văn Lâm %d", i-i%15+2)
}

func TestReportHistoryAPI(t *testing.T) {
	f := newAdminFixture(t, false)
	seedProgress(t, f.app, 60, f.clock.Now())
	_, rep, _ := f.call(t, "vi", "GET", "/api/v1/admin/report?campaign=bnv", nil)
	code, h, _ := f.call(t, "vi", "GET", "/api/v1/admin/report/history?campaign=bnv", nil)
	days, _ := h["days"].([]any)
	if code != 200 || len(days) != 30 || h["agencies"] != 60.0 || h["campaign"] != "bnv" {
		t.Fatalf("history = %d %v", code, h)
	}
	first, last := days[0].(map[string]any), days[29].(map[string]any)
	if first["day"] != "2026-06-02" || last["day"] != "2026-07-01" {
		t.Errorf("the history runs from %v to %v, want 2026-06-02 to 2026-07-01 (today in Vietnam)", first["day"], last["day"])
	}
	if last["compliant"] != rep["compliant"] {
		t.Errorf("today the history says %v compliant, the report %v", last["compliant"], rep["compliant"])
	}
	if first["compliant"].(float64) >= last["compliant"].(float64) || last["impressions"].(float64) <= 0 {
		t.Errorf("the seeded progress does not show: first day %v, last %v", first, last)
	}
	_, h, _ = f.call(t, "vi", "GET", "/api/v1/admin/report/history?days=7&kind=commune", nil)
	if days, _ := h["days"].([]any); len(days) != 7 || h["kind"] != "commune" || h["agencies"] != 40.0 {
		t.Errorf("7 days of communes = %v", h)
	}
	for _, c := range []struct {
		name, query string
		who         string
		want        int
	}{
		{"days not a number", "days=thirty", "vi", 400},
		{"no days", "days=0", "vi", 400},
		{"too many days", "days=367", "vi", 400},
		{"a year", "days=366", "vi", 200},
		{"unknown kind", "kind=ministry", "vi", 400},
		{"unknown campaign", "campaign=nope", "vi", 404},
		{"not signed in", "", "", 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			if code, body, _ := f.call(t, c.who, "GET", "/api/v1/admin/report/history?"+c.query, nil); code != c.want {
				t.Errorf("history?%s = %d %v, want %d", c.query, code, body, c.want)
			}
		})
	}
}

func TestFollowUpAPI(t *testing.T) {
	f := newAdminFixture(t, false)
	register := "name,kind,homepage,parent,contact\n" +
		"Sở Nội vụ,department,https://sonoivu.example/,,Phòng CNTT\n" +
		"UBND huyện Văn Lâm,district,https://vanlam.example/,,\n" +
		"UBND xã Lạc Đạo,commune,https://lacdao.example/,UBND huyện Văn Lâm,\"Chị Lan, 0221 3 862\"\n" +
		"\"=HYPERLINK(\"\"https://evil.example\"\",\"\"bấm\"\")\",commune,https://evil.example/,UBND huyện Văn Lâm,+84 221\n"
	if code, body := f.csvImport(t, "ed", register); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := context.Background()
	list, _ := f.st.Agencies(ctx)
	ids := map[string]int64{}
	for _, a := range list {
		ids[a.Name] = a.ID
	}
	now := f.clock.Now()
	if err := f.st.SaveResults(ctx, []compliance.Result{
		{AgencyID: ids["Sở Nội vụ"], Campaign: "bnv", Status: compliance.Embedded, Reason: "the image loads", CheckedAt: now},
		{AgencyID: ids["UBND huyện Văn Lâm"], Campaign: "bnv", Status: compliance.Blocked, Reason: "img-src blocks it", Fix: "img-src 'self' " + publicURL, CheckedAt: now},
		{AgencyID: ids["UBND xã Lạc Đạo"], Campaign: "bnv", Status: compliance.Missing, Reason: "no badge on the page", CheckedAt: now},
	}); err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"UBND huyện Văn Lâm", `=HYPERLINK("https://evil.example","bấm")`, "UBND xã Lạc Đạo"}

	code, body, _ := f.call(t, "vi", "GET", "/api/v1/admin/report/followup?campaign=bnv", nil)
	rows, _ := body["rows"].([]any)
	var names []string
	for _, r := range rows {
		names = append(names, r.(map[string]any)["name"].(string))
	}
	if code != 200 || strings.Join(names, "|") != strings.Join(wantNames, "|") || body["total_rows"] != 3.0 {
		t.Fatalf("follow-up JSON = %d %v", code, body)
	}
	if r := rows[0].(map[string]any); r["status"] != "blocked" || r["fix"] != "img-src 'self' "+publicURL {
		t.Errorf("Văn Lâm's row = %v", r)
	}
	if r := rows[1].(map[string]any); r["status"] != "unchecked" || !strings.Contains(r["fix"].(string), publicURL+"/?c=bnv") {
		t.Errorf("the unchecked row = %v", r)
	}
	_, body, _ = f.call(t, "vi", "GET", "/api/v1/admin/report/followup?kind=district&per_page=1", nil)
	if rows, _ := body["rows"].([]any); len(rows) != 1 || body["pages"] != 1.0 {
		t.Errorf("district follow-up = %v", body)
	}

	t.Run("CSV", func(t *testing.T) {
		_, _, res := f.call(t, "vi", "GET", "/api/v1/admin/report/followup?campaign=bnv&kind=commune&format=csv", nil)
		b, _ := io.ReadAll(res.Body)
		csv := string(b)
		if res.StatusCode != 200 || !strings.HasPrefix(csv, "\ufeffagency,kind,homepage,parent,contact,status,reason,fix,checked_at,last_seen\r\n") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), "followup-bnv-commune.csv") {
			t.Fatalf("CSV = %d %q\n%s", res.StatusCode, res.Header.Get("Content-Disposition"), csv)
		}
		if !strings.Contains(csv, `"'=HYPERLINK(""https://evil.example"",""bấm"")"`) || !strings.Contains(csv, ",'+84 221,") ||
			!strings.Contains(csv, `UBND xã Lạc Đạo,commune,https://lacdao.example/,UBND huyện Văn Lâm,"Chị Lan, 0221 3 862",missing,no badge on the page,`) ||
			strings.Count(csv, "\r\n") != 3 {
			t.Errorf("CSV (formulas defused, Vietnamese intact, two rows):\n%s", csv)
		}
	})
	t.Run("XLSX", func(t *testing.T) {
		_, _, res := f.call(t, "vi", "GET", "/api/v1/admin/report/followup?format=xlsx", nil)
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
			!strings.Contains(res.Header.Get("Content-Disposition"), `filename="followup-bnv.xlsx"`) || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("XLSX = %d %v", res.StatusCode, res.Header)
		}
		x, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("the workbook does not open: %v", err)
		}
		defer x.Close()
		got, err := x.GetRows("followup")
		if err != nil || len(got) != 4 || strings.Join(got[0], ",") != strings.Join(compliance.FollowUpHeader, ",") {
			t.Fatalf("rows = %q, %v", got, err)
		}
		for i, want := range wantNames {
			if got[i+1][0] != want {
				t.Errorf("row %d names %q, want %q (as it is: a workbook cell is never a formula)", i+2, got[i+1][0], want)
			}
		}
		if got[3][4] != "Chị Lan, 0221 3 862" || got[2][4] != "+84 221" || got[1][5] != "blocked" {
			t.Errorf("rows = %q", got)
		}
		for r := range got {
			for c := range got[r] {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if fm, _ := x.GetCellFormula("followup", cell); fm != "" {
					t.Errorf("%s is the formula %q", cell, fm)
				}
			}
		}
	})
	for _, c := range []struct {
		name, query, who string
		want             int
	}{
		{"another format", "format=pdf", "vi", 400},
		{"unknown kind", "kind=ministry", "vi", 400},
		{"unknown campaign", "campaign=nope&format=xlsx", "vi", 404},
		{"a page too large", "per_page=5000", "vi", 400},
		{"not signed in", "format=csv", "", 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			if code, body, _ := f.call(t, c.who, "GET", "/api/v1/admin/report/followup?"+c.query, nil); code != c.want {
				t.Errorf("followup?%s = %d %v, want %d", c.query, code, body, c.want)
			}
		})
	}
}

// svgOf returns the <svg> elements of a page, parsed as a browser does.
func svgOf(t *testing.T, page string) []*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "svg" {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func TestReportPage(t *testing.T) {
	f := newAdminFixture(t, false)
	seedProgress(t, f.app, 45, f.clock.Now())
	res := f.callPage(t, "vi", "/admin/report?lang=en")
	page := body(t, res)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("report page = %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	svgs := svgOf(t, page)
	if len(svgs) != 3 {
		t.Fatalf("%d charts, want 3", len(svgs))
	}
	for _, svg := range svgs {
		var walk func(n *html.Node)
		titled := false
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				if n.Data == "script" || n.Data == "style" || n.Data == "foreignObject" {
					t.Errorf("a chart holds <%s>", n.Data)
				}
				for _, a := range n.Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("<%s %s=%q> in a chart", n.Data, a.Key, a.Val)
					}
				}
				if n.Data == "title" && n.Parent == svg && n.FirstChild != nil {
					titled = true
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(svg)
		if !titled {
			t.Error("a chart has no title")
		}
	}
	for _, want := range []string{
		`<caption id="numbers-caption">The numbers, day by day</caption>`,
		`<th scope="row">2026-07-01</th>`, `<th scope="row">2026-06-02</th>`,
		`<title id="chart-compliant-title">Compliant agencies per day</title>`,
		`<h2 id="bykind-heading">By kind</h2>`,
		`<th scope="row">Commune</th><td>30</td>`,
		`href="/api/v1/admin/report/followup?campaign=bnv&amp;format=xlsx"`,
		`href="/api/v1/admin/report/followup?campaign=bnv&amp;kind=commune&amp;format=csv"`,
		`<option value="30" selected>30 days</option>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the report page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, " style=") {
		t.Error("the report page holds a script or a style attribute")
	}
	// The kind filter follows through to the charts and the follow-up links.
	page = body(t, f.callPage(t, "vi", "/admin/report?lang=en&kind=district&days=7"))
	if strings.Count(page, `<th scope="row">2026-`) != 7 || !strings.Contains(page, "Progress · District") ||
		!strings.Contains(page, `href="/api/v1/admin/report?days=7&amp;kind=district&amp;format=csv"`) ||
		!strings.Contains(page, `href="/api/v1/admin/report/followup?campaign=bnv&amp;kind=district&amp;format=xlsx" class="button"`) {
		t.Errorf("the district page over 7 days:\n%s", page)
	}
	if res := f.callPage(t, "vi", "/admin/report?days=abc"); res.StatusCode != 400 {
		t.Errorf("days=abc = %d, want 400", res.StatusCode)
	}
}

// BenchmarkReportPage2000 serves the report page (first page of rows,
// charts of 30 days, breakdown by kind) for a register of 2,000 agencies
// with 30 days of checks and counts, and reports its size:
//
//	go test ./internal/server -run '^$' -bench ReportPage2000 -benchtime 20x
func BenchmarkReportPage2000(b *testing.B) {
	f := newFixtureWith(b, app.Options{Now: func() time.Time { return fixtureStart }})
	seedProgress(b, f.app, 2000, fixtureStart)
	ctx := context.Background()
	if _, err := f.app.Auth.CreateAccount(ctx, "vi", "viewer", password, testActor); err != nil {
		b.Fatal(err)
	}
	_, token, err := f.app.Auth.CreateToken(ctx, "vi-token", "viewer", "vi", testActor)
	if err != nil {
		b.Fatal(err)
	}
	var size int
	b.ResetTimer()
	for b.Loop() {
		r := httptest.NewRequest("GET", "/admin/report", nil)
		r.RemoteAddr = "192.0.2.10:1234"
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("report page = %d %s", w.Code, w.Body)
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size)/1024, "page-KiB")
}
