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

// runCounts checks the bound on sites per campaign and day, and that the
// store's per-site sums are the ones compliance.SumSites computes.
func runCounts(t *testing.T, open Opener) {
	ctx := context.Background()
	img := func(campaign, site, day string, n int64) compliance.Count {
		return compliance.Count{Campaign: campaign, Site: site, Day: day, Event: compliance.Image, N: n}
	}
	sites := func(t *testing.T, s Store, campaign, day string) (named map[string]int64, other int64) {
		t.Helper()
		cs, err := s.Counts(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		named = map[string]int64{}
		for _, c := range cs {
			switch {
			case c.Campaign != campaign || c.Day != day:
			case c.Site == compliance.OtherSite:
				other += c.N
			default:
				named[c.Site] += c.N
			}
		}
		return named, other
	}

	t.Run("SitesBoundedPerCampaignAndDay", func(t *testing.T) {
		s := open(t)
		const limit = 5
		// Three known sites, busy.
		if err := s.AddCounts(ctx, []compliance.Count{
			img("bnv", "https://a.example", "2026-07-01", 50), img("bnv", "https://b.example", "2026-07-01", 40),
			img("bnv", "https://c.example", "2026-07-01", 30),
		}, limit); err != nil {
			t.Fatal(err)
		}
		// A flood of new sites seen once, one busy newcomer, and the known
		// sites again: two places are left, the newcomer takes one.
		var batch []compliance.Count
		for i := range 20 {
			batch = append(batch, img("bnv", fmt.Sprintf("https://f%02d.example", i), "2026-07-01", 1))
		}
		batch = append(batch, img("bnv", "https://busy.example", "2026-07-01", 9), img("bnv", "https://a.example", "2026-07-01", 1),
			compliance.Count{Campaign: "bnv", Site: "https://f00.example", Day: "2026-07-01", Event: compliance.Click, N: 2},
			img("bnv", compliance.OtherSite, "2026-07-01", 4))
		// Another day and another campaign have room of their own.
		batch = append(batch, img("bnv", "https://z.example", "2026-07-02", 1), img("other", "https://z.example", "2026-07-01", 1))
		if err := s.AddCounts(ctx, batch, limit); err != nil {
			t.Fatal(err)
		}
		named, other := sites(t, s, "bnv", "2026-07-01")
		want := map[string]int64{"https://a.example": 51, "https://b.example": 40, "https://c.example": 30, "https://busy.example": 9, "https://f00.example": 3}
		if !reflect.DeepEqual(named, want) || other != 19+4 {
			t.Errorf("sites of bnv on the 1st = %v and (other) %d; want %v and 23", named, other, want)
		}
		// Full: a known site still counts under its name, a new one does not.
		if err := s.AddCounts(ctx, []compliance.Count{img("bnv", "https://b.example", "2026-07-01", 1), img("bnv", "https://late.example", "2026-07-01", 100)}, limit); err != nil {
			t.Fatal(err)
		}
		named, other = sites(t, s, "bnv", "2026-07-01")
		if len(named) != limit || named["https://b.example"] != 41 || other != 123 {
			t.Errorf("after the limit: %v and (other) %d; want b counted by name, late.example as (other)", named, other)
		}
		for _, k := range []struct{ campaign, day string }{{"bnv", "2026-07-02"}, {"other", "2026-07-01"}} {
			if named, _ := sites(t, s, k.campaign, k.day); named["https://z.example"] != 1 {
				t.Errorf("%s on %s = %v; want z.example by name (its own limit)", k.campaign, k.day, named)
			}
		}
	})

	t.Run("SiteTotalsMatchCounts", func(t *testing.T) {
		s := open(t)
		today := time.Date(2026, 7, 31, 5, 0, 0, 0, time.UTC) // noon in Vietnam
		var cs []compliance.Count
		for i, day := range []string{"2026-06-30", "2026-07-01", "2026-07-24", "2026-07-25", "2026-07-31"} {
			for j, ev := range []compliance.Event{compliance.Image, compliance.Script, compliance.Frame, compliance.Click, compliance.Scan} {
				site := []string{"https://a.example", "https://b.example", compliance.NoSite, "placement:desk-1"}[(i+j)%4]
				campaign := []string{"bnv", "", "other"}[(i*5+j)%3]
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
		want := compliance.SumSites("bnv", stored, today)
		var got []compliance.SiteTotal
		day7, day30 := compliance.ReportDays(today)
		if err := s.SiteTotals(ctx, "bnv", day7, day30, func(x compliance.SiteTotal) error { got = append(got, x); return nil }); err != nil {
			t.Fatal(err)
		}
		bySite := func(ts []compliance.SiteTotal) {
			sort.Slice(ts, func(i, j int) bool { return ts[i].Site < ts[j].Site })
		}
		bySite(got)
		bySite(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("SiteTotals =\n%+v\nwant (SumSites)\n%+v", got, want)
		}
	})
}
