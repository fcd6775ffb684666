package compliance

import (
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

// Report is the compliance report for one campaign.
type Report struct {
	Campaign  string
	Rows      []Row
	Compliant int
	Unmatched []Site
	// Placements are scans of printed codes by placement code (a desk, an
	// agency), over 30 days; the Site field holds the code.
	Placements []Site
}

// Compliant means the latest check found the badge embedded and loadable,
// or the badge loaded from the agency's site in the last 7 days (a page
// the checker cannot reach, behind a login or a firewall, still counts).
func compliant(r Row) bool { return r.Status == Embedded || r.Impressions[0] > 0 }

// BuildReport joins the register, the latest checks and the counts of the
// last 30 days (up to today, in Vietnam) for campaign. Script loads count
// for every campaign, since one script serves them all.
func BuildReport(campaign string, agencies []Agency, latest []Result, counts []Count, today time.Time) Report {
	day7, day30 := Day(today.AddDate(0, 0, -6)), Day(today.AddDate(0, 0, -29))
	byHost := map[string]int{}
	rows := make([]Row, len(agencies))
	for i, a := range agencies {
		rows[i] = Row{Agency: a}
		if h := a.Host(); h != "" {
			byHost[h] = i
		}
	}
	byID := map[int64]int{}
	for i, a := range agencies {
		byID[a.ID] = i
	}
	for _, r := range latest {
		if i, ok := byID[r.AgencyID]; ok && r.Campaign == campaign {
			rows[i].Status, rows[i].Reason, rows[i].Fix, rows[i].CheckedAt = r.Status, r.Reason, r.Fix, r.CheckedAt
		}
	}
	unmatched := map[string]*Site{}
	placements := map[string]*Site{}
	for _, c := range counts {
		if c.Day < day30 || (c.Campaign != campaign && c.Campaign != "") {
			continue
		}
		if code, ok := strings.CutPrefix(c.Site, "placement:"); ok {
			s := placements[code]
			if s == nil {
				s = &Site{Site: code}
				placements[code] = s
			}
			s.Clicks += c.N
			if c.Day > s.LastSeen {
				s.LastSeen = c.Day
			}
			continue
		}
		host := SiteHost(c.Site)
		i, ok := byHost[host]
		if !ok {
			if c.Site == NoSite || c.Site == OtherSite || host == "" {
				continue
			}
			s := unmatched[c.Site]
			if s == nil {
				s = &Site{Site: c.Site}
				unmatched[c.Site] = s
			}
			if c.Event.Impression() {
				s.Impressions += c.N
			} else {
				s.Clicks += c.N
			}
			if c.Day > s.LastSeen {
				s.LastSeen = c.Day
			}
			continue
		}
		r := &rows[i]
		if c.Event.Impression() {
			r.Impressions[1] += c.N
			if c.Day >= day7 {
				r.Impressions[0] += c.N
			}
			if c.Day > r.LastSeen {
				r.LastSeen = c.Day
			}
		} else {
			r.Clicks[1] += c.N
			if c.Day >= day7 {
				r.Clicks[0] += c.N
			}
		}
	}
	rep := Report{Campaign: campaign, Rows: rows}
	for i := range rep.Rows {
		rep.Rows[i].Compliant = compliant(rep.Rows[i])
		if rep.Rows[i].Compliant {
			rep.Compliant++
		}
	}
	for _, s := range unmatched {
		rep.Unmatched = append(rep.Unmatched, *s)
	}
	sort.Slice(rep.Unmatched, func(i, j int) bool { return rep.Unmatched[i].Impressions > rep.Unmatched[j].Impressions })
	for _, s := range placements {
		rep.Placements = append(rep.Placements, *s)
	}
	sort.Slice(rep.Placements, func(i, j int) bool { return rep.Placements[i].Site < rep.Placements[j].Site })
	return rep
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
