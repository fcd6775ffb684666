package compliance_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/store/sqlite"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// served is the campaigns a service test serves.
type served []string

func (s served) Slugs() []string                 { return s }
func (s served) Code(slug string) (string, bool) { return "https://zalo.me/1111", true }

var operator = audit.Actor{Name: "cli:tester", Role: "admin"}

// historyEnv is a compliance service on a fresh SQLite store, with its
// clock fixed at noon in Vietnam on 2026-07-30.
type historyEnv struct {
	st  *sqlite.Store
	svc *compliance.Service
	now time.Time
	ids map[string]int64
}

func newHistoryEnv(t testing.TB, agencies []compliance.Agency) *historyEnv {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &historyEnv{st: st, now: time.Date(2026, 7, 30, 5, 0, 0, 0, time.UTC), ids: map[string]int64{}}
	e.svc = compliance.NewService(st, served{"bnv", "tinh"}, compliance.Config{
		Checker: &compliance.Checker{PublicURL: "https://badge.example.gov.vn"},
		Now:     func() time.Time { return e.now },
	})
	if len(agencies) > 0 {
		if _, _, err := st.ImportAgencies(context.Background(), agencies, e.now.AddDate(0, -2, 0), operator); err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.Agencies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		e.ids[a.Name] = a.ID
	}
	return e
}

// at is noon in Vietnam on day (YYYY-MM-DD), plus d.
func at(day string, d time.Duration) time.Time {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		panic(err)
	}
	return t.Add(5*time.Hour + d)
}

type histCheck struct {
	agency, campaign, status string
	at                       time.Time
}

type histCount struct {
	campaign, site, day string
	event               compliance.Event
	n                   int64
}

// naiveCompliant is the rule, applied the slow way to the raw data: on a
// day, the agency's latest check up to its end shows the badge, or its
// site loaded the badge that day or in the six before.
func naiveCompliant(agencies []compliance.Agency, checks []histCheck, counts []histCount, campaign, day string) int {
	end, _ := compliance.DayStart(day)
	end = end.AddDate(0, 0, 1)
	from := at(day, 0).AddDate(0, 0, -6)
	n := 0
	for _, a := range agencies {
		var latest *histCheck
		for i, c := range checks {
			if c.agency == a.Name && c.campaign == campaign && c.at.Before(end) && (latest == nil || !c.at.Before(latest.at)) {
				latest = &checks[i]
			}
		}
		ok := latest != nil && latest.status == compliance.Embedded
		for _, c := range counts {
			if (c.campaign == campaign || c.campaign == "") && c.event.Impression() && compliance.SiteHost(c.site) == a.Host() &&
				c.day >= compliance.Day(from) && c.day <= day {
				ok = true
			}
		}
		if ok {
			n++
		}
	}
	return n
}

func TestHistory(t *testing.T) {
	agencies := []compliance.Agency{
		{Name: "Sở Nội vụ", Kind: compliance.Department, Homepage: "https://sonoivu.example/"},
		{Name: "UBND xã Lạc Đạo", Kind: compliance.Commune, Homepage: "https://lacdao.example/"},
		{Name: "UBND xã Minh Hải", Kind: compliance.Commune, Homepage: "https://www.minhhai.example/"},
		{Name: "UBND huyện Văn Lâm", Kind: compliance.District, Homepage: "https://vanlam.example/"},
	}
	e := newHistoryEnv(t, agencies)
	ctx := context.Background()
	checks := []histCheck{
		{"Sở Nội vụ", "bnv", compliance.Missing, at("2026-07-10", 0)},
		{"Sở Nội vụ", "bnv", compliance.Embedded, at("2026-07-20", 0)},
		{"Sở Nội vụ", "bnv", compliance.Blocked, at("2026-07-20", -2*time.Hour)}, // earlier that day
		{"UBND xã Lạc Đạo", "bnv", compliance.Embedded, at("2026-06-01", 0)},     // before the window
		{"UBND xã Lạc Đạo", "bnv", compliance.Missing, at("2026-07-15", 0)},
		{"UBND xã Lạc Đạo", "bnv", compliance.Missing, at("2026-07-15", 11*time.Hour+59*time.Minute)}, // 23:59 in Vietnam
		{"UBND xã Lạc Đạo", "tinh", compliance.Embedded, at("2026-07-16", 0)},                         // another campaign
		{"UBND huyện Văn Lâm", "bnv", compliance.Embedded, at("2026-07-29", 12*time.Hour)},            // 00:00 on the 30th in Vietnam
	}
	// Saved in time order, as checks are.
	for _, c := range []int{3, 0, 4, 5, 6, 2, 1, 7} {
		x := checks[c]
		if err := e.st.SaveResults(ctx, []compliance.Result{{AgencyID: e.ids[x.agency], Campaign: x.campaign, Status: x.status, Reason: "r", CheckedAt: x.at}}); err != nil {
			t.Fatal(err)
		}
	}
	counts := []histCount{
		{"bnv", "https://www.minhhai.example", "2026-07-25", compliance.Image, 5},
		{"", "https://unknown.example", "2026-07-25", compliance.Script, 2},
		{"bnv", "https://minhhai.example", "2026-07-25", compliance.Click, 1},
		{"bnv", "placement:desk-1", "2026-07-25", compliance.Scan, 3},
		{"tinh", "https://minhhai.example", "2026-07-26", compliance.Image, 100},   // another campaign
		{"bnv", "https://vanlam.example", "2026-06-28", compliance.Image, 1},       // before the window: counts until 07-04
		{"bnv", "https://vanlam.example", "2026-06-20", compliance.Image, 1},       // too early to count
		{"", "https://lacdao.example", "2026-07-30", compliance.Frame, 4},          // today, through the script
		{"bnv", "https://lacdao.example", "2026-07-31", compliance.Image, 1},       // tomorrow (a clock ahead): not in the history
		{"bnv", "https://sonoivu.example:8443", "2026-07-02", compliance.Click, 7}, // clicks alone are no evidence
	}
	var cs []compliance.Count
	for _, c := range counts {
		cs = append(cs, compliance.Count{Campaign: c.campaign, Site: c.site, Day: c.day, Event: c.event, N: c.n})
	}
	if err := e.st.AddCounts(ctx, cs, 0); err != nil {
		t.Fatal(err)
	}

	h, err := e.svc.History(ctx, compliance.HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if h.Campaign != "bnv" || h.Agencies != 4 || len(h.Days) != compliance.DefaultHistoryDays || h.Days[0].Day != "2026-07-01" || h.Days[29].Day != "2026-07-30" {
		t.Fatalf("History() = campaign %q, %d agencies, %d days from %s; want bnv, 4, 30 from 2026-07-01 to 2026-07-30",
			h.Campaign, h.Agencies, len(h.Days), h.Days[0].Day)
	}
	for _, d := range h.Days {
		if want := naiveCompliant(agencies, checks, counts, "bnv", d.Day); d.Compliant != want {
			t.Errorf("compliant on %s = %d, want %d", d.Day, d.Compliant, want)
		}
	}
	// The turning points, spelled out.
	byDay := map[string]compliance.HistoryDay{}
	for _, d := range h.Days {
		byDay[d.Day] = d
	}
	for day, want := range map[string]int{
		"2026-07-01": 2, // Lạc Đạo (checked in June), Văn Lâm (loaded on 06-28)
		"2026-07-04": 2,
		"2026-07-05": 1, // Văn Lâm's load is 7 days old
		"2026-07-14": 1,
		"2026-07-15": 0, // Lạc Đạo's check finds it gone
		"2026-07-20": 1, // Sở Nội vụ: the day's last check shows it
		"2026-07-25": 2, // Minh Hải loads it, never checked
		"2026-07-29": 2,
		"2026-07-30": 4, // Văn Lâm checked at midnight; Lạc Đạo loads it through the script
	} {
		if byDay[day].Compliant != want {
			t.Errorf("compliant on %s = %d, want %d", day, byDay[day].Compliant, want)
		}
	}
	if d := byDay["2026-07-25"]; d.Impressions != 7 || d.Clicks != 4 {
		t.Errorf("on 07-25: %d impressions, %d clicks; want 7 (5 + a script load) and 4 (a click, 3 scans)", d.Impressions, d.Clicks)
	}
	if d := byDay["2026-07-02"]; d.Impressions != 0 || d.Clicks != 7 {
		t.Errorf("on 07-02: %d impressions, %d clicks; want 0 and 7", d.Impressions, d.Clicks)
	}

	// Today's figure is the report's.
	rep, _, err := e.svc.Report(ctx, compliance.ReportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Compliant != h.Days[29].Compliant {
		t.Errorf("the report says %d compliant today, the history %d", rep.Compliant, h.Days[29].Compliant)
	}

	t.Run("Kind", func(t *testing.T) {
		h, err := e.svc.History(ctx, compliance.HistoryFilter{Campaign: "bnv", Kind: compliance.Commune, Days: 7})
		if err != nil {
			t.Fatal(err)
		}
		want := []int{0, 1, 1, 1, 1, 1, 2} // 07-24 … 07-30: Minh Hải from the 25th, Lạc Đạo today
		var got []int
		for _, d := range h.Days {
			got = append(got, d.Compliant)
		}
		if h.Agencies != 2 || h.Days[0].Day != "2026-07-24" || !reflect.DeepEqual(got, want) {
			t.Errorf("communes over 7 days: %d agencies from %s, %v; want 2 from 2026-07-24, %v", h.Agencies, h.Days[0].Day, got, want)
		}
	})
	t.Run("AnotherCampaign", func(t *testing.T) {
		h, err := e.svc.History(ctx, compliance.HistoryFilter{Campaign: "tinh", Days: 15})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range h.Days {
			if want := naiveCompliant(agencies, checks, counts, "tinh", d.Day); d.Compliant != want {
				t.Errorf("tinh on %s = %d, want %d", d.Day, d.Compliant, want)
			}
		}
	})
	t.Run("BadFilters", func(t *testing.T) {
		for _, c := range []struct {
			name string
			f    compliance.HistoryFilter
			kind apperr.Kind
		}{
			{"too many days", compliance.HistoryFilter{Days: compliance.MaxHistoryDays + 1}, apperr.BadRequest},
			{"negative days", compliance.HistoryFilter{Days: -1}, apperr.BadRequest},
			{"unknown kind", compliance.HistoryFilter{Kind: "ministry"}, apperr.BadRequest},
			{"unknown campaign", compliance.HistoryFilter{Campaign: "nope"}, apperr.NotFound},
		} {
			t.Run(c.name, func(t *testing.T) {
				if _, err := e.svc.History(ctx, c.f); apperr.KindOf(err) != c.kind {
					t.Errorf("History(%+v) = %v, want %v", c.f, err, c.kind)
				}
			})
		}
	})
	t.Run("EmptyRegister", func(t *testing.T) {
		e := newHistoryEnv(t, nil)
		h, err := e.svc.History(ctx, compliance.HistoryFilter{Days: 3})
		if err != nil || h.Agencies != 0 || len(h.Days) != 3 {
			t.Errorf("History on an empty register = %+v, %v", h, err)
		}
	})
}

func TestReportByKind(t *testing.T) {
	rep := compliance.BuildReport("bnv", []compliance.Agency{
		{ID: 1, Name: "A", Kind: compliance.Department, Homepage: "https://a.example/"},
		{ID: 2, Name: "B", Kind: compliance.Commune, Homepage: "https://b.example/"},
		{ID: 3, Name: "C", Kind: compliance.Commune, Homepage: "https://c.example/"},
		{ID: 4, Name: "D", Kind: compliance.Commune, Homepage: "https://d.example/"},
		{ID: 5, Name: "E", Kind: compliance.District, Homepage: "https://e.example/"},
	}, []compliance.Result{
		{AgencyID: 1, Campaign: "bnv", Status: compliance.Embedded},
		{AgencyID: 2, Campaign: "bnv", Status: compliance.Missing},
		{AgencyID: 5, Campaign: "tinh", Status: compliance.Embedded},
	}, []compliance.Count{{Campaign: "bnv", Site: "https://c.example", Day: "2026-07-30", Event: compliance.Image, N: 1}},
		time.Date(2026, 7, 30, 5, 0, 0, 0, time.UTC))
	want := []compliance.KindTally{
		{Kind: compliance.Department, Agencies: 1, Compliant: 1},
		{Kind: compliance.District, Agencies: 1, Unchecked: 1},
		{Kind: compliance.Commune, Agencies: 3, Compliant: 1, NotCompliant: 1, Unchecked: 1},
		{Agencies: 5, Compliant: 2, NotCompliant: 1, Unchecked: 2},
	}
	if !reflect.DeepEqual(rep.ByKind, want) {
		t.Errorf("ByKind =\n%+v\nwant\n%+v", rep.ByKind, want)
	}
}

func TestFollowUp(t *testing.T) {
	e := newHistoryEnv(t, []compliance.Agency{
		{Name: "Sở Nội vụ", Kind: compliance.Department, Homepage: "https://sonoivu.example/", Contact: "Phòng CNTT"},
		{Name: "UBND huyện Văn Lâm", Kind: compliance.District, Homepage: "https://vanlam.example/"},
		{Name: "UBND xã Lạc Đạo", Kind: compliance.Commune, Homepage: "https://lacdao.example/", Parent: "UBND huyện Văn Lâm"},
		{Name: "UBND xã Minh Hải", Kind: compliance.Commune, Homepage: "https://minhhai.example/", Parent: "UBND huyện Văn Lâm"},
	})
	ctx := context.Background()
	if err := e.st.SaveResults(ctx, []compliance.Result{
		{AgencyID: e.ids["Sở Nội vụ"], Campaign: "bnv", Status: compliance.Embedded, Reason: "ok", CheckedAt: e.now},
		{AgencyID: e.ids["UBND huyện Văn Lâm"], Campaign: "bnv", Status: compliance.Blocked, Reason: "img-src blocks it",
			Fix: "img-src 'self' https://badge.example.gov.vn", CheckedAt: e.now},
		{AgencyID: e.ids["UBND xã Lạc Đạo"], Campaign: "bnv", Status: compliance.Missing, Reason: "no badge", CheckedAt: e.now},
	}); err != nil {
		t.Fatal(err)
	}
	_, rows, err := e.svc.FollowUp(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join(compliance.FollowUpRecord(r), "|"))
	}
	want := []string{
		"UBND huyện Văn Lâm|district|https://vanlam.example/|||blocked|img-src blocks it|img-src 'self' https://badge.example.gov.vn|2026-07-30 12:00|",
		"UBND xã Lạc Đạo|commune|https://lacdao.example/|UBND huyện Văn Lâm||missing|no badge|Paste the image snippet from https://badge.example.gov.vn/?c=bnv on the homepage (it works in every CMS: in NukeViet, in an HTML block).|2026-07-30 12:00|",
		"UBND xã Minh Hải|commune|https://minhhai.example/|UBND huyện Văn Lâm||unchecked||Paste the image snippet from https://badge.example.gov.vn/?c=bnv on the homepage (it works in every CMS: in NukeViet, in an HTML block).||",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FollowUp rows =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, rows, err := e.svc.FollowUp(ctx, "bnv", compliance.District); err != nil || len(rows) != 1 || rows[0].Name != "UBND huyện Văn Lâm" {
		t.Errorf("FollowUp(district) = %+v, %v", rows, err)
	}
	if _, _, err := e.svc.FollowUp(ctx, "bnv", "ministry"); apperr.KindOf(err) != apperr.BadRequest {
		t.Errorf("FollowUp(ministry) = %v, want a bad request", err)
	}
}

func TestWriteXLSX(t *testing.T) {
	header := compliance.FollowUpHeader
	rows := [][]string{
		{"UBND xã Lạc Đạo", "commune", "https://lacdao.example/", "UBND huyện Văn Lâm", "Chị Lan, 0221 3 862 xxx", "missing", "no badge", "Paste…", "2026-07-30 12:00", ""},
		{"=HYPERLINK(\"https://evil.example\",\"bấm\")", "unit", "https://x.example/", "", "+84 221 3 862", "blocked", "@SUM(A1:A2)", "-1+1", "", "2026-07-29"},
		{"Cơ quan\tcó tab; và \"ngoặc\"\nxuống dòng", "other", "https://y.example/", "", "", "unchecked", "", "", "", ""},
	}
	var buf bytes.Buffer
	if err := compliance.WriteXLSX(&buf, "follow-up", header, rows); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	if sheets := f.GetSheetList(); !reflect.DeepEqual(sheets, []string{"follow-up"}) {
		t.Errorf("sheets = %q", sheets)
	}
	got, err := f.GetRows("follow-up")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{header}
	for _, r := range rows {
		// GetRows leaves out trailing empty cells.
		end := len(r)
		for end > 0 && r[end-1] == "" {
			end--
		}
		want = append(want, r[:end])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows read back =\n%q\nwant\n%q", got, want)
	}
	for r := range len(rows) + 1 {
		for c := range header {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if formula, err := f.GetCellFormula("follow-up", cell); err != nil || formula != "" {
				t.Errorf("%s has formula %q (%v)", cell, formula, err)
			}
			typ, err := f.GetCellType("follow-up", cell)
			if v, _ := f.GetCellValue("follow-up", cell); v != "" && (err != nil || typ != excelize.CellTypeInlineString) {
				t.Errorf("%s (%q) has type %v, want an inline string", cell, v, typ)
			}
		}
	}
	if v, _ := f.GetCellValue("follow-up", "A2"); v != "UBND xã Lạc Đạo" {
		t.Errorf("A2 = %q", v)
	}
}

// BenchmarkHistory2000 builds 30 days of history for 2,000 agencies from
// a SQLite store holding 60 days of daily checks (120,000) and of counts
// from every agency's site (two events a day each), with the clock fixed:
//
//	go test ./internal/compliance -run '^$' -bench History2000 -benchtime 20x
func BenchmarkHistory2000(b *testing.B) {
	const n, days = 2000, 60
	agencies := make([]compliance.Agency, n)
	for i := range agencies {
		agencies[i] = compliance.Agency{Name: fmt.Sprintf("Cơ quan %04d", i), Kind: compliance.Kinds[i%len(compliance.Kinds)],
			Homepage: fmt.Sprintf("https://p%04d.example/", i)}
	}
	e := newHistoryEnv(b, agencies)
	ctx := context.Background()
	start := e.now.AddDate(0, 0, -days+1)
	for d := range days {
		var rs []compliance.Result
		var cs []compliance.Count
		for i, a := range agencies {
			st := compliance.Missing
			if (i+d)%3 == 0 {
				st = compliance.Embedded
			}
			rs = append(rs, compliance.Result{AgencyID: e.ids[a.Name], Campaign: "bnv", Status: st, Reason: "r", CheckedAt: start.AddDate(0, 0, d)})
			if (i+d)%5 == 0 {
				site := strings.TrimSuffix(a.Homepage, "/")
				day := compliance.Day(start.AddDate(0, 0, d))
				cs = append(cs, compliance.Count{Campaign: "bnv", Site: site, Day: day, Event: compliance.Image, N: 10},
					compliance.Count{Campaign: "bnv", Site: site, Day: day, Event: compliance.Click, N: 1})
			}
		}
		if err := e.st.SaveResults(ctx, rs); err != nil {
			b.Fatal(err)
		}
		if err := e.st.AddCounts(ctx, cs, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		h, err := e.svc.History(ctx, compliance.HistoryFilter{})
		if err != nil || len(h.Days) != 30 || h.Agencies != n {
			b.Fatalf("History = %d days, %d agencies, %v", len(h.Days), h.Agencies, err)
		}
	}
}

// BenchmarkHistoryBuilder2000 is the history's own work, without a store:
// 30 days for 2,000 agencies from 62,000 check days and 24,000 site days.
//
//	go test ./internal/compliance -run '^$' -bench HistoryBuilder2000
func BenchmarkHistoryBuilder2000(b *testing.B) {
	const n, days = 2000, 30
	agencies := make([]compliance.Agency, n)
	for i := range agencies {
		agencies[i] = compliance.Agency{ID: int64(i + 1), Name: fmt.Sprint("Cơ quan ", i), Kind: compliance.Kinds[i%5], Homepage: fmt.Sprintf("https://p%04d.example/", i)}
	}
	first, _, countsFrom := compliance.HistoryDays(time.Date(2026, 7, 30, 5, 0, 0, 0, time.UTC), days)
	from, _ := compliance.DayStart(countsFrom)
	var checks []compliance.CheckDay
	var sites []compliance.SiteDay
	for i := range n {
		checks = append(checks, compliance.CheckDay{AgencyID: int64(i + 1), Status: compliance.Missing})
		for d := range days + compliance.EvidenceDays - 1 {
			day := compliance.Day(from.AddDate(0, 0, d))
			if d >= compliance.EvidenceDays-1 {
				st := compliance.Missing
				if (i+d)%3 == 0 {
					st = compliance.Embedded
				}
				checks = append(checks, compliance.CheckDay{AgencyID: int64(i + 1), Day: day, Status: st})
			}
			if (i+d)%3 == 0 {
				sites = append(sites, compliance.SiteDay{Site: fmt.Sprintf("https://p%04d.example", i), Day: day, Impressions: 10, Clicks: 1})
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		h := compliance.NewHistoryBuilder("bnv", "", agencies, first, days)
		for _, c := range checks {
			_ = h.AddCheck(c)
		}
		for _, s := range sites {
			_ = h.AddSite(s)
		}
		if got := h.History(); len(got.Days) != days || got.Days[days-1].Compliant == 0 {
			b.Fatalf("History = %+v", got.Days)
		}
	}
}
