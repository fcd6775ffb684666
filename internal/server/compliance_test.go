package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/compliance"
)

func (f *adminFixture) csvImport(t *testing.T, who, body string) (int, map[string]any) {
	t.Helper()
	code, out, _ := f.callRaw(t, who, "POST", "/api/v1/admin/agencies", "text/csv", body)
	return code, out
}

func (f *adminFixture) callRaw(t *testing.T, who, method, path, ctype, body string) (int, map[string]any, *http.Response) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.10:1234"
	r.Header.Set("Content-Type", ctype)
	if who != "" {
		r.Header.Set("Authorization", "Bearer "+f.tokens[who])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	var out map[string]any
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		decodeJSON(t, w.Body, &out)
	}
	return w.Code, out, w.Result()
}

// callPage gets a console page as who.
func (f *adminFixture) callPage(t *testing.T, who, path string) *http.Response {
	t.Helper()
	_, _, res := f.call(t, who, "GET", path, nil)
	return res
}

func TestRegisterAPI(t *testing.T) {
	f := newAdminFixture(t, false)
	good := "\ufeffname,kind,homepage,parent,contact\nSở Nội vụ,department,https://www.sonoivu.example/,,\nUBND xã A,commune,https://xa-a.example/,Sở Nội vụ,Chị Lan\n"
	if code, body := f.csvImport(t, "vi", good); code != 403 {
		t.Errorf("a viewer importing = %d %v", code, body)
	}
	if code, body := f.csvImport(t, "ed", good); code != 200 || body["created"] != 2.0 {
		t.Fatalf("import = %d %v", code, body)
	}
	if code, body := f.csvImport(t, "ed", strings.Replace(good, "Chị Lan", "Anh Minh", 1)); code != 200 || body["created"] != 0.0 || body["updated"] != 1.0 {
		t.Errorf("re-import = %d %v", code, body)
	}
	before := f.state(t)
	code, body := f.csvImport(t, "ed", "name,kind,homepage\nB,ministry,https://b.example/\nC,unit,ftp://c\n")
	lines, _ := body["details"].([]any)
	if code != 422 || len(lines) != 2 || lines[0].(map[string]any)["line"] != 2.0 || lines[1].(map[string]any)["line"] != 3.0 {
		t.Errorf("bad file = %d %v", code, body)
	}
	if code, _ := f.csvImport(t, "ed", "this,is,not\n1,2,3\n"); code != 422 {
		t.Errorf("a file without the columns = %d", code)
	}
	if f.state(t) != before {
		t.Error("a refused import changed state or audit")
	}
	_, body, _ = f.call(t, "vi", "GET", "/api/v1/admin/agencies", nil)
	as := body["agencies"].([]any)
	if len(as) != 2 {
		t.Fatalf("agencies = %v", as)
	}
	_, _, res := f.call(t, "vi", "GET", "/api/v1/admin/agencies?format=csv", nil)
	csv, _ := io.ReadAll(res.Body)
	if !strings.HasPrefix(string(csv), "\ufeffname,kind,homepage,parent,contact\r\n") || !strings.Contains(string(csv), "Sở Nội vụ,department,https://www.sonoivu.example/") {
		t.Errorf("export:\n%s", csv)
	}

	// Impressions from the agencies' sites and from an unknown one.
	for i, ref := range []string{"https://sonoivu.example/", "https://www.sonoivu.example/tin-tuc", "https://unknown.example/"} {
		for j := 0; j <= i; j++ {
			f.do(t, "GET", "/b/bnv.svg", "Referer", ref)
		}
	}
	f.do(t, "GET", "/go/bnv", "Referer", "https://xa-a.example/")
	if err := f.flush(); err != nil {
		t.Fatal(err)
	}
	_, body, _ = f.call(t, "vi", "GET", "/api/v1/admin/report?campaign=bnv", nil)
	if body["compliant"] != 1.0 || body["agencies"] != 2.0 {
		t.Errorf("report headline: %v of %v", body["compliant"], body["agencies"])
	}
	rows := body["rows"].([]any)
	var so map[string]any
	for _, r := range rows {
		if r.(map[string]any)["name"] == "Sở Nội vụ" {
			so = r.(map[string]any)
		}
	}
	if so["impressions_7d"] != 3.0 || so["compliant"] != true || so["last_seen"] == "" {
		t.Errorf("Sở Nội vụ row = %v", so)
	}
	um := body["unmatched_sites"].([]any)
	if len(um) != 1 || um[0].(map[string]any)["site"] != "https://unknown.example" {
		t.Errorf("unmatched = %v", um)
	}
	_, body, _ = f.call(t, "vi", "GET", "/api/v1/admin/report?campaign=bnv&status=noncompliant&kind=commune", nil)
	if rows := body["rows"].([]any); len(rows) != 1 || rows[0].(map[string]any)["clicks_7d"] != 1.0 {
		t.Errorf("filtered report = %v", rows)
	}
	_, _, res = f.call(t, "vi", "GET", "/api/v1/admin/report?campaign=bnv&format=csv", nil)
	csv, _ = io.ReadAll(res.Body)
	if !strings.HasPrefix(string(csv), "\ufeffagency,kind,homepage,compliant,status") || strings.Count(string(csv), "\r\n") != 3 {
		t.Errorf("report CSV:\n%s", csv)
	}
	for q, want := range map[string]int{"kind=ministry": 400, "status=great": 400, "campaign=nope": 404, "format=xml": 400} {
		if code, _, _ := f.call(t, "vi", "GET", "/api/v1/admin/report?"+q, nil); code != want {
			t.Errorf("report?%s = %d, want %d", q, code, want)
		}
	}
	id := itoaF(as[0].(map[string]any)["id"])
	if code, body, _ := f.call(t, "vi", "GET", "/api/v1/admin/agencies/"+id, nil); code != 200 || body["agency"] == nil {
		t.Errorf("agency detail = %d %v", code, body)
	}
	// The console pages render the same data.
	code, _, res = f.call(t, "vi", "GET", "/admin/report?campaign=bnv", nil)
	page, _ := io.ReadAll(res.Body)
	if code != 200 || !strings.Contains(string(page), "<strong>1</strong> trên <strong>2</strong>") || !strings.Contains(string(page), "https://unknown.example") {
		t.Errorf("console report = %d:\n%s", code, page)
	}
	code, _, res = f.call(t, "vi", "GET", "/admin/agencies/"+id, nil)
	page, _ = io.ReadAll(res.Body)
	if code != 200 || !strings.Contains(string(page), "Chưa kiểm tra lần nào") {
		t.Errorf("console agency page = %d", code)
	}
	if code, _, _ := f.call(t, "ed", "POST", "/api/v1/admin/checks", nil); code != 403 {
		t.Errorf("an editor starting a check = %d, want 403", code)
	}
}

// TestCountsFromManyReferrers sends concurrent requests from many sites
// through the real handler and expects exact totals after one flush.
func TestCountsFromManyReferrers(t *testing.T) {
	f := newAdminFixture(t, false)
	done := make(chan struct{})
	for w := 0; w < 8; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 200; i++ {
				ref := "https://portal" + itoa(i%10) + ".example/"
				r := httptest.NewRequest("GET", "/b/bnv.png?size=128", nil)
				r.Header.Set("Referer", ref)
				f.h.ServeHTTP(httptest.NewRecorder(), r)
			}
		}()
	}
	for w := 0; w < 8; w++ {
		<-done
	}
	if err := f.flush(); err != nil {
		t.Fatal(err)
	}
	counts, err := f.st.Counts(context.Background(), compliance.Day(f.clock.Now().AddDate(0, 0, -1)))
	if err != nil {
		t.Fatal(err)
	}
	total := map[string]int64{}
	for _, c := range counts {
		total[c.Site] += c.N
	}
	for i := 0; i < 10; i++ {
		if n := total["https://portal"+itoa(i)+".example"]; n != 160 {
			t.Errorf("portal%d: %d impressions, want 160", i, n)
		}
	}
}
