package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/compliance"
)

// runHistoryDays checks what the history is read from: each agency's last
// check before the first day and of each day (days in Vietnam, cut at
// its midnight, 17:00 UTC), and the counts per site and day.
func runHistoryDays(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if _, _, err := s.ImportAgencies(ctx, []compliance.Agency{
		{Name: "A", Kind: compliance.Unit, Homepage: "https://a.example/"},
		{Name: "B", Kind: compliance.Commune, Homepage: "https://b.example/"},
		{Name: "C", Kind: compliance.Commune, Homepage: "https://c.example/"},
	}, t0, alice); err != nil {
		t.Fatal(err)
	}
	list, err := s.Agencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]int64{}
	for _, a := range list {
		id[a.Name] = a.ID
	}
	// The history runs from 2026-07-10 to 2026-07-12 (Vietnam): from
	// 2026-07-09T17:00Z to 2026-07-12T17:00Z.
	check := func(agency, campaign, status, at string) compliance.Result {
		tm, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			t.Fatal(err)
		}
		return compliance.Result{AgencyID: id[agency], Campaign: campaign, Status: status, Reason: "r", CheckedAt: tm}
	}
	for _, batch := range [][]compliance.Result{
		{check("A", "bnv", compliance.Embedded, "2026-07-01T08:00:00Z"), check("B", "bnv", compliance.Missing, "2026-07-01T08:00:00Z")},
		{check("A", "bnv", compliance.Missing, "2026-07-09T16:59:59.5Z")},             // the 9th, 23:59:59.5 in Vietnam: before
		{check("B", "bnv", compliance.Embedded, "2026-07-09T17:00:00Z")},              // the 10th, 00:00 in Vietnam: in
		{check("B", "bnv", compliance.Blocked, "2026-07-10T16:59:59.999999999Z")},     // still the 10th, later: its last
		{check("A", "bnv", compliance.Embedded, "2026-07-11T03:00:00.25Z")},           // the 11th
		{check("A", "bnv", compliance.Broken, "2026-07-12T17:00:00Z")},                // the 13th: after
		{check("C", "tinh", compliance.Embedded, "2026-07-11T03:00:00Z")},             // another campaign
		{check("C", "bnv", compliance.Unreachable, "2026-07-12T16:00:00.000000001Z")}, // the 12th, 23:00
	} {
		if err := s.SaveResults(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := s.CheckDays(ctx, "bnv", "2026-07-10", "2026-07-12", func(c compliance.CheckDay) error {
		for name, x := range id {
			if x == c.AgencyID {
				got = append(got, fmt.Sprintf("%s %q %s", name, c.Day, c.Status))
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := []string{`A "" missing`, `A "2026-07-11" embedded`, `B "" missing`, `B "2026-07-10" blocked`, `C "2026-07-12" unreachable`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CheckDays(bnv, 07-10, 07-12) =\n%q\nwant\n%q", got, want)
	}
	if err := s.CheckDays(ctx, "bnv", "2026-07-12", "2026-07-10", func(compliance.CheckDay) error { return nil }); err == nil {
		t.Error("CheckDays with the days the wrong way round: no error")
	}

	var cs []compliance.Count
	for i, day := range []string{"2026-07-03", "2026-07-04", "2026-07-10", "2026-07-12", "2026-07-13"} {
		for j, ev := range []compliance.Event{compliance.Image, compliance.Script, compliance.Frame, compliance.Click, compliance.Scan} {
			site := []string{"https://a.example", "https://b.example", compliance.NoSite, "placement:desk-1"}[(i+j)%4]
			campaign := []string{"bnv", "", "tinh"}[(i*5+j)%3]
			cs = append(cs, compliance.Count{Campaign: campaign, Site: site, Day: day, Event: ev, N: int64(1 + i*10 + j)})
		}
	}
	if err := s.AddCounts(ctx, cs, 0); err != nil {
		t.Fatal(err)
	}
	stored, err := s.Counts(ctx, "2000-01-01")
	if err != nil {
		t.Fatal(err)
	}
	wantDays := map[[2]string]compliance.SiteDay{}
	for _, c := range stored {
		if c.Day < "2026-07-04" || c.Day > "2026-07-12" || (c.Campaign != "bnv" && c.Campaign != "") {
			continue
		}
		k := [2]string{c.Site, c.Day}
		d := wantDays[k]
		d.Site, d.Day = c.Site, c.Day
		if c.Event.Impression() {
			d.Impressions += c.N
		} else {
			d.Clicks += c.N
		}
		wantDays[k] = d
	}
	gotDays := map[[2]string]compliance.SiteDay{}
	if err := s.SiteDays(ctx, "bnv", "2026-07-04", "2026-07-12", func(d compliance.SiteDay) error {
		k := [2]string{d.Site, d.Day}
		if _, dup := gotDays[k]; dup {
			t.Errorf("SiteDays gave %v twice", k)
		}
		gotDays[k] = d
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(wantDays) == 0 || !reflect.DeepEqual(gotDays, wantDays) {
		t.Errorf("SiteDays(bnv, 07-04, 07-12) =\n%+v\nwant (from Counts)\n%+v", gotDays, wantDays)
	}
}
