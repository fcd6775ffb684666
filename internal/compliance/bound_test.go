package compliance_test

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/compliance"
)

func TestCellSafe(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"Sở Nội vụ", "Sở Nội vụ"},
		{"Nguyễn Văn A - Phòng 2", "Nguyễn Văn A - Phòng 2"},
		{"a@b.example", "a@b.example"},
		{"2026-07-01", "2026-07-01"},
		{"=1+1", "'=1+1"},
		{"+84 912", "'+84 912"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"x;=1+1", "x;'=1+1"},
		{"x,=1+1", "x,'=1+1"},
		{"ok\t-cmd", "ok\t'-cmd"},
		{"\ufeff=cmd", "\ufeff'=cmd"},
		{"\t=cmd", "\t'=cmd"},
		{"\r\n+1", "\r\n'+1"},
		{"  =1", "  '=1"},
		{`"=1"`, `"'=1"`},
		{"x; ; =1", "x; ; '=1"},
		{"\uff1d1+1", "'\uff1d1+1"},
		{"a=1;b=2", "a=1;b=2"},
		{"=a;=b", "'=a;'=b"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := compliance.CellSafe(tt.in); got != tt.want {
				t.Errorf("CellSafe(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if a := testing.AllocsPerRun(100, func() { compliance.CellSafe("Sở Nội vụ tỉnh Hưng Yên, 2026") }); a != 0 {
		t.Errorf("CellSafe of harmless text allocates %v times", a)
	}
}

func TestBoundSites(t *testing.T) {
	img := func(campaign, site, day string, n int64) compliance.Count {
		return compliance.Count{Campaign: campaign, Site: site, Day: day, Event: compliance.Image, N: n}
	}
	stored := map[string][]string{"bnv|2026-07-01": {"https://a.example", "https://b.example"}}
	count := func(campaign, day string) (int, error) { return len(stored[campaign+"|"+day]), nil }
	listed := 0
	list := func(campaign, day string) (map[string]bool, error) {
		listed++
		out := map[string]bool{}
		for _, s := range stored[campaign+"|"+day] {
			out[s] = true
		}
		return out, nil
	}
	tests := []struct {
		name   string
		in     []compliance.Count
		max    int
		want   []compliance.Count
		listed int
	}{
		{"room for all: nothing listed", []compliance.Count{img("bnv", "https://c.example", "2026-07-01", 1)}, 3,
			[]compliance.Count{img("bnv", "https://c.example", "2026-07-01", 1)}, 0},
		{"known sites count by name, the busiest newcomer gets the last place", []compliance.Count{
			img("bnv", "https://a.example", "2026-07-01", 1), img("bnv", "https://x.example", "2026-07-01", 1),
			img("bnv", "https://y.example", "2026-07-01", 5), img("bnv", "https://z.example", "2026-07-01", 1),
			img("bnv", compliance.OtherSite, "2026-07-01", 3),
		}, 3, []compliance.Count{
			img("bnv", "https://a.example", "2026-07-01", 1), img("bnv", compliance.OtherSite, "2026-07-01", 5),
			img("bnv", "https://y.example", "2026-07-01", 5),
		}, 1},
		{"each campaign and day has its own limit", []compliance.Count{
			img("bnv", "https://x.example", "2026-07-02", 1), img("other", "https://x.example", "2026-07-01", 1),
		}, 1, []compliance.Count{img("bnv", "https://x.example", "2026-07-02", 1), img("other", "https://x.example", "2026-07-01", 1)}, 0},
		{"full: new sites go to (other), summed per event", []compliance.Count{
			img("bnv", "https://x.example", "2026-07-01", 1), img("bnv", "https://y.example", "2026-07-01", 2),
			{Campaign: "bnv", Site: "https://y.example", Day: "2026-07-01", Event: compliance.Click, N: 1},
		}, 2, []compliance.Count{
			img("bnv", compliance.OtherSite, "2026-07-01", 3),
			{Campaign: "bnv", Site: compliance.OtherSite, Day: "2026-07-01", Event: compliance.Click, N: 1},
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listed = 0
			got, err := compliance.BoundSites(tt.in, tt.max, count, list)
			key := func(cs []compliance.Count) {
				sort.Slice(cs, func(i, j int) bool { return fmt.Sprint(cs[i]) < fmt.Sprint(cs[j]) })
			}
			key(got)
			key(tt.want)
			if err != nil || !reflect.DeepEqual(got, tt.want) || listed != tt.listed {
				t.Errorf("BoundSites = %v, %v (listed %d times)\nwant %v (listed %d times)", got, err, listed, tt.want, tt.listed)
			}
		})
	}
}

func TestReportListsTheBusiestSites(t *testing.T) {
	today := time.Date(2026, 7, 31, 5, 0, 0, 0, time.UTC)
	var counts []compliance.Count
	for i := range 1000 {
		counts = append(counts, compliance.Count{Campaign: "bnv", Site: fmt.Sprintf("https://s%04d.example", i), Day: "2026-07-30", Event: compliance.Image, N: int64(i % 250)})
		counts = append(counts, compliance.Count{Campaign: "bnv", Site: fmt.Sprintf("placement:desk-%04d", i), Day: "2026-07-30", Event: compliance.Scan, N: 1})
	}
	r := compliance.BuildReport("bnv", nil, nil, counts, today)
	if len(r.Unmatched) != compliance.MaxListedSites || r.UnmatchedTotal != 1000 || len(r.Placements) != compliance.MaxListedSites || r.PlacementsTotal != 1000 {
		t.Fatalf("listed %d of %d unmatched, %d of %d placements; want %d of 1000 each", len(r.Unmatched), r.UnmatchedTotal, len(r.Placements), r.PlacementsTotal, compliance.MaxListedSites)
	}
	// The busiest 100: impressions 249 down to 225 (four sites each).
	for i, s := range r.Unmatched {
		if want := int64(249 - i/4); s.Impressions != want {
			t.Fatalf("unmatched[%d] = %+v, want %d impressions (busiest first)", i, s, want)
		}
	}
	if !sort.SliceIsSorted(r.Placements, func(i, j int) bool { return r.Placements[i].Site < r.Placements[j].Site }) || !strings.HasPrefix(r.Placements[0].Site, "desk-") {
		t.Errorf("placements are not by code: %+v", r.Placements[:3])
	}
}
