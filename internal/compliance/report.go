package compliance

import (
	"container/heap"
	"sort"
	"strings"
	"time"
)

// Row is one agency in the report for one campaign.
type Row struct {
	Agency
	Status      string // the latest check's status, or "" when never checked
	Reason      string
	Fix         string
	CheckedAt   time.Time
	LastSeen    string   // the last day (YYYY-MM-DD) the badge loaded on its site, or ""
	Impressions [2]int64 // over 7 and 30 days
	Clicks      [2]int64 // over 7 and 30 days, scans included
	Compliant   bool
}

// Site is a referring site with no agency in the register.
type Site struct {
	Site        string
	Impressions int64 // over 30 days
	Clicks      int64
	LastSeen    string
}

// MaxListedSites bounds the unmatched sites and the placements a report
// lists (the busiest first): a flood of forged referrers must not make
// the report page large. Their totals are still given.
const MaxListedSites = 100

// Report is the compliance report for one campaign.
type Report struct {
	Campaign  string
	Rows      []Row
	Compliant int
	// Unmatched are the busiest referring sites with no agency in the
	// register, at most MaxListedSites; UnmatchedTotal counts them all.
	Unmatched      []Site
	UnmatchedTotal int
	// Placements are scans of printed codes by placement code (a desk, an
	// agency), over 30 days; the Site field holds the code. At most
	// MaxListedSites, the busiest; PlacementsTotal counts them all.
	Placements      []Site
	PlacementsTotal int
	// ByKind counts the agencies of each kind (in Kinds' order, kinds
	// with none left out), with a last line for them all (Kind "").
	ByKind []KindTally
}

// KindTally counts the agencies of one kind by where they stand. Every
// agency is in exactly one of Compliant, NotCompliant (checked, and not
// compliant) and Unchecked (never checked, and not compliant).
type KindTally struct {
	Kind         Kind // "" for the total
	Agencies     int
	Compliant    int
	NotCompliant int
	Unchecked    int
}

// tallyKinds counts rows by kind and standing.
func tallyKinds(rows []Row) []KindTally {
	byKind := map[Kind]*KindTally{}
	var total KindTally
	for _, r := range rows {
		t := byKind[r.Kind]
		if t == nil {
			t = &KindTally{Kind: r.Kind}
			byKind[r.Kind] = t
		}
		for _, x := range []*KindTally{t, &total} {
			x.Agencies++
			switch {
			case r.Compliant:
				x.Compliant++
			case r.Status == "":
				x.Unchecked++
			default:
				x.NotCompliant++
			}
		}
	}
	var out []KindTally
	for _, k := range Kinds {
		if t := byKind[k]; t != nil {
			out = append(out, *t)
		}
	}
	return append(out, total)
}

// SiteTotal is what one site's counts for a campaign (script loads, which
// serve every campaign, included) add up to over the report's 30 days.
type SiteTotal struct {
	Site        string
	Impressions [2]int64 // over 7 and 30 days
	Clicks      [2]int64 // over 7 and 30 days, scans included
	LastSeen    string   // the last day with an impression, or ""
	LastAny     string   // the last day with any event
}

// Compliant means the latest check found the badge embedded and loadable,
// or the badge loaded from the agency's site in the last 7 days (a page
// the checker cannot reach, behind a login or a firewall, still counts).
func compliant(r Row) bool { return r.Status == Embedded || r.Impressions[0] > 0 }

// ReportBuilder assembles a report from site totals streamed to Add, in
// memory bounded by the register and MaxListedSites, however many sites
// the counts hold.
type ReportBuilder struct {
	rep        Report
	byHost     map[string]int
	unmatched  topSites
	placements topSites
}

// NewReportBuilder starts the report for campaign over the register and
// the latest checks.
func NewReportBuilder(campaign string, agencies []Agency, latest []Result) *ReportBuilder {
	b := &ReportBuilder{rep: Report{Campaign: campaign, Rows: make([]Row, len(agencies))}, byHost: map[string]int{}}
	byID := map[int64]int{}
	for i, a := range agencies {
		b.rep.Rows[i] = Row{Agency: a}
		if h := a.Host(); h != "" {
			b.byHost[h] = i
		}
		byID[a.ID] = i
	}
	for _, r := range latest {
		if i, ok := byID[r.AgencyID]; ok && r.Campaign == campaign {
			row := &b.rep.Rows[i]
			row.Status, row.Reason, row.Fix, row.CheckedAt = r.Status, r.Reason, r.Fix, r.CheckedAt
		}
	}
	return b
}

// Add counts one site's totals into the report. A site may come more than
// once (the campaign's own counts and the script's): rows add up; listed
// sites should come once, as a store's GROUP BY gives them.
func (b *ReportBuilder) Add(t SiteTotal) error {
	if code, ok := strings.CutPrefix(t.Site, "placement:"); ok {
		b.placements.push(Site{Site: code, Clicks: t.Clicks[1], LastSeen: t.LastAny})
		return nil
	}
	host := SiteHost(t.Site)
	i, ok := b.byHost[host]
	if !ok {
		if t.Site == NoSite || t.Site == OtherSite || host == "" {
			return nil
		}
		b.unmatched.push(Site{Site: t.Site, Impressions: t.Impressions[1], Clicks: t.Clicks[1], LastSeen: t.LastAny})
		return nil
	}
	r := &b.rep.Rows[i]
	for j := range 2 {
		r.Impressions[j] += t.Impressions[j]
		r.Clicks[j] += t.Clicks[j]
	}
	if t.LastSeen > r.LastSeen {
		r.LastSeen = t.LastSeen
	}
	return nil
}

// Report returns the report built so far.
func (b *ReportBuilder) Report() Report {
	rep := b.rep
	rep.Compliant = 0
	for i := range rep.Rows {
		rep.Rows[i].Compliant = compliant(rep.Rows[i])
		if rep.Rows[i].Compliant {
			rep.Compliant++
		}
	}
	rep.Unmatched, rep.UnmatchedTotal = b.unmatched.sorted(func(a, b Site) bool {
		return a.Impressions > b.Impressions || a.Impressions == b.Impressions && (a.Clicks > b.Clicks || a.Clicks == b.Clicks && a.Site < b.Site)
	})
	rep.Placements, rep.PlacementsTotal = b.placements.sorted(func(a, b Site) bool { return a.Site < b.Site })
	rep.ByKind = tallyKinds(rep.Rows)
	return rep
}

// BuildReport joins the register, the latest checks and the counts of the
// last 30 days (up to today, in Vietnam) for campaign. Script loads count
// for every campaign, since one script serves them all.
func BuildReport(campaign string, agencies []Agency, latest []Result, counts []Count, today time.Time) Report {
	b := NewReportBuilder(campaign, agencies, latest)
	for _, t := range SumSites(campaign, counts, today) {
		_ = b.Add(t)
	}
	return b.Report()
}

// ReportDays returns the first days of the report's 7- and 30-day windows
// ending today (in Vietnam).
func ReportDays(today time.Time) (day7, day30 string) {
	return Day(today.AddDate(0, 0, -6)), Day(today.AddDate(0, 0, -29))
}

// SumSites adds counts up per site for campaign, as a store's SiteTotals
// does in SQL.
func SumSites(campaign string, counts []Count, today time.Time) []SiteTotal {
	day7, day30 := ReportDays(today)
	bySite := map[string]*SiteTotal{}
	var order []string
	for _, c := range counts {
		if c.Day < day30 || (c.Campaign != campaign && c.Campaign != "") {
			continue
		}
		t := bySite[c.Site]
		if t == nil {
			t = &SiteTotal{Site: c.Site}
			bySite[c.Site] = t
			order = append(order, c.Site)
		}
		if c.Event.Impression() {
			t.Impressions[1] += c.N
			if c.Day >= day7 {
				t.Impressions[0] += c.N
			}
			t.LastSeen = max(t.LastSeen, c.Day)
		} else {
			t.Clicks[1] += c.N
			if c.Day >= day7 {
				t.Clicks[0] += c.N
			}
		}
		t.LastAny = max(t.LastAny, c.Day)
	}
	out := make([]SiteTotal, len(order))
	for i, s := range order {
		out[i] = *bySite[s]
	}
	return out
}

// topSites keeps the MaxListedSites busiest sites pushed (by 30-day
// impressions, then clicks), and counts them all.
type topSites struct {
	h     siteHeap
	total int
}

func (t *topSites) push(s Site) {
	t.total++
	if len(t.h) < MaxListedSites {
		heap.Push(&t.h, s)
		return
	}
	if siteLess(t.h[0], s) {
		t.h[0] = s
		heap.Fix(&t.h, 0)
	}
}

// sorted returns the kept sites ordered by less, and the total.
func (t *topSites) sorted(less func(a, b Site) bool) ([]Site, int) {
	out := append([]Site(nil), t.h...)
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out, t.total
}

// siteLess orders sites from the least to the most busy: impressions,
// then clicks, then (the later name first) the name.
func siteLess(a, b Site) bool {
	switch {
	case a.Impressions != b.Impressions:
		return a.Impressions < b.Impressions
	case a.Clicks != b.Clicks:
		return a.Clicks < b.Clicks
	}
	return a.Site > b.Site
}

// siteHeap is a min-heap of sites by siteLess: its root is the one to drop.
type siteHeap []Site

func (h siteHeap) Len() int           { return len(h) }
func (h siteHeap) Less(i, j int) bool { return siteLess(h[i], h[j]) }
func (h siteHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *siteHeap) Push(x any)        { *h = append(*h, x.(Site)) }
func (h *siteHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Filter keeps the rows of kind and status ("" for any; status may also be
// "compliant", "noncompliant" or "unchecked").
func (r Report) Filter(kind Kind, status string) []Row {
	var out []Row
	for _, x := range r.Rows {
		if kind != "" && x.Kind != kind {
			continue
		}
		switch status {
		case "":
		case "compliant":
			if !x.Compliant {
				continue
			}
		case "noncompliant":
			if x.Compliant {
				continue
			}
		case "unchecked":
			if x.Status != "" {
				continue
			}
		default:
			if x.Status != status {
				continue
			}
		}
		out = append(out, x)
	}
	return out
}
