package compliance

import (
	"time"
)

// History is how one campaign's compliance went, day by day: how many
// agencies counted as compliant each day, and the impressions and clicks
// of every site that day.
type History struct {
	Campaign string
	Kind     Kind // the kind the agencies were limited to, or ""
	// Agencies is how many agencies (of Kind) the register holds now; an
	// agency counts on the days before it was imported too, since the
	// evidence (checks, impressions) is what decides.
	Agencies int
	Days     []HistoryDay // oldest first, the last one today
}

// HistoryDay is one day of a History.
type HistoryDay struct {
	Day string // YYYY-MM-DD in Vietnam
	// Compliant counts the agencies compliant that day: the latest check
	// up to the end of the day found the badge shown, or the badge loaded
	// from the agency's site that day or in the EvidenceDays-1 days before.
	Compliant int
	// Impressions and Clicks are the campaign's over every site that day
	// (script loads, which serve every campaign, and scans included, as
	// in the report).
	Impressions int64
	Clicks      int64
}

// CheckDay is an agency's last check for a campaign on one day, as a
// store hands it to a HistoryBuilder.
type CheckDay struct {
	AgencyID int64
	// Day is the day (YYYY-MM-DD in Vietnam) of the check, or "" for the
	// last check before the history's first day.
	Day    string
	Status string
}

// SiteDay is what one site's counts for a campaign (script loads
// included) add up to on one day.
type SiteDay struct {
	Site        string
	Day         string // YYYY-MM-DD in Vietnam
	Impressions int64
	Clicks      int64 // scans included
}

// History lengths: what a history covers when not told, and at most.
const (
	DefaultHistoryDays = 30
	MaxHistoryDays     = 366
)

// EvidenceDays is how many days an impression from an agency's site
// keeps it compliant: the day itself and the six before, as the report's
// 7-day column.
const EvidenceDays = 7

// HistoryFilter selects a history: the campaign ("" for the first), the
// kind of agencies ("" for all) and how many days up to today (0 for
// DefaultHistoryDays).
type HistoryFilter struct {
	Campaign string
	Kind     Kind
	Days     int
}

// HistoryDays returns the first and last days (YYYY-MM-DD in Vietnam) of
// a history of days days ending on today's day, and the first day whose
// counts it reads (EvidenceDays-1 before the first).
func HistoryDays(today time.Time, days int) (first, last, countsFrom string) {
	t := dayNumber(today)
	return dayString(t - int32(days) + 1), dayString(t), dayString(t - int32(days) - EvidenceDays + 2)
}

// HistoryBuilder computes a History from check days and site days
// streamed to it, in memory bounded by agencies × days however many
// checks and counts the store holds.
type HistoryBuilder struct {
	h      History
	first  int32 // the first day's number
	n      int   // days
	byID   map[int64]int
	byHost map[string]int
	// checks holds, per agency, n+1 slots: the last check before the
	// first day, then one per day; 0 none, 1 shown, 2 not.
	checks []uint8
	// seen holds, per agency, n+EvidenceDays-1 slots: whether the badge
	// loaded from its site on that day, from EvidenceDays-1 days before
	// the first day.
	seen []bool
}

// NewHistoryBuilder starts the history of campaign over agencies (those
// of kind, when kind is set) for days days from first (YYYY-MM-DD).
func NewHistoryBuilder(campaign string, kind Kind, agencies []Agency, first string, days int) *HistoryBuilder {
	f, _ := parseDay(first)
	b := &HistoryBuilder{h: History{Campaign: campaign, Kind: kind, Days: make([]HistoryDay, days)}, first: f, n: days,
		byID: map[int64]int{}, byHost: map[string]int{}}
	for i := range b.h.Days {
		b.h.Days[i].Day = dayString(f + int32(i))
	}
	for _, a := range agencies {
		if kind != "" && a.Kind != kind {
			continue
		}
		i := len(b.byID)
		b.byID[a.ID] = i
		if h := a.Host(); h != "" {
			b.byHost[h] = i
		}
	}
	b.h.Agencies = len(b.byID)
	b.checks = make([]uint8, b.h.Agencies*(days+1))
	b.seen = make([]bool, b.h.Agencies*(days+EvidenceDays-1))
	return b
}

// AddCheck counts one agency's last check of a day. Checks come in any
// order, but one per agency and day (and one before the first day), as
// a store's CheckDays gives them; agencies not in the history and days
// outside it are ignored.
func (b *HistoryBuilder) AddCheck(c CheckDay) error {
	i, ok := b.byID[c.AgencyID]
	if !ok {
		return nil
	}
	slot := 0
	if c.Day != "" {
		d, ok := parseDay(c.Day)
		if !ok || d < b.first || d >= b.first+int32(b.n) {
			return nil
		}
		slot = int(d-b.first) + 1
	}
	v := uint8(2)
	if c.Status == Embedded {
		v = 1
	}
	b.checks[i*(b.n+1)+slot] = v
	return nil
}

// AddSite counts one site's impressions and clicks on one day: into the
// day's totals, and as evidence for the agency whose site it is.
func (b *HistoryBuilder) AddSite(s SiteDay) error {
	d, ok := parseDay(s.Day)
	if !ok {
		return nil
	}
	rel := int(d - b.first)
	if rel >= b.n || rel < -(EvidenceDays-1) {
		return nil
	}
	if rel >= 0 {
		b.h.Days[rel].Impressions += s.Impressions
		b.h.Days[rel].Clicks += s.Clicks
	}
	if s.Impressions <= 0 || len(s.Site) < len("http://") {
		return nil
	}
	i, ok := b.byHost[SiteHost(s.Site)]
	if !ok {
		return nil
	}
	b.seen[i*(b.n+EvidenceDays-1)+rel+EvidenceDays-1] = true
	return nil
}

// History returns the history built so far.
func (b *HistoryBuilder) History() History {
	h := b.h
	h.Days = append([]HistoryDay(nil), b.h.Days...)
	w := b.n + EvidenceDays - 1
	for i := range h.Agencies {
		checks := b.checks[i*(b.n+1) : (i+1)*(b.n+1)]
		seen := b.seen[i*w : (i+1)*w]
		shown := checks[0] == 1
		last := -EvidenceDays // the last slot of seen with a load
		for j := range EvidenceDays - 1 {
			if seen[j] {
				last = j
			}
		}
		for d := range b.n {
			if c := checks[d+1]; c != 0 {
				shown = c == 1
			}
			if seen[d+EvidenceDays-1] {
				last = d + EvidenceDays - 1
			}
			if shown || last > d-1 {
				h.Days[d].Compliant++
			}
		}
	}
	return h
}

// parseDay returns the day number of a YYYY-MM-DD day.
func parseDay(s string) (int32, bool) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, false
	}
	return int32(t.Unix() / 86400), true
}

// DayStart returns the instant a day (YYYY-MM-DD) starts in Vietnam, for
// a store to bound its queries with.
func DayStart(day string) (time.Time, bool) {
	d, ok := parseDay(day)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(int64(d)*86400-vietnamOffset, 0).UTC(), true
}
