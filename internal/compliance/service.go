package compliance

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/auth"
)

// Campaigns is what the compliance service needs to know of campaigns:
// which are served, to check and report on, and what their codes encode.
type Campaigns interface {
	// Slugs returns the served campaigns' slugs, ordered.
	Slugs() []string
	// Code returns what campaign slug's QR code encodes now.
	Code(slug string) (string, bool)
}

// Config is what a Service needs besides its store.
type Config struct {
	Checker *Checker
	// Render, when set, is how a render check loads pages in Chromium
	// (its Code is filled in from Campaigns); nil turns render checks off.
	Render *Renderer
	// Counter counts impressions and clicks on the serving path; the
	// service flushes it.
	Counter *Counter
	// MaxSites bounds the sites counted per campaign and day (0:
	// DefaultMaxSites); the rest count as OtherSite.
	MaxSites int
	Log      *slog.Logger
	// Now is the clock; tests fix it.
	Now func() time.Time
}

// Service owns the agency register, the counts, the homepage checks and the
// report: every rule about them lives here, for the console, the API and
// the command line alike. Anyone signed in reads; an editor imports the
// register; an admin (or the schedule) runs a check of the whole register.
type Service struct {
	store     Store
	campaigns Campaigns
	cfg       Config

	mu      sync.Mutex
	running bool
	last    time.Time
}

// NewService returns a Service over st for the campaigns cs serves.
func NewService(st Store, cs Campaigns, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Counter == nil {
		cfg.Counter = NewCounter(0, cfg.Now)
	}
	if cfg.Checker == nil {
		cfg.Checker = &Checker{}
	}
	if cfg.MaxSites <= 0 {
		cfg.MaxSites = DefaultMaxSites
	}
	return &Service{store: st, campaigns: cs, cfg: cfg}
}

// Counter returns the counter the serving path adds impressions to.
func (s *Service) Counter() *Counter { return s.cfg.Counter }

// ErrRunning is returned while a check of the register runs already.
var ErrRunning = apperr.Conflictf("a check of the register is running already; wait for it to finish")

// Import reads a CSV register from r and imports all of it or, with any bad
// line, nothing: the error then names every bad line (apperr details). It
// returns how many agencies were created and updated. It needs an editor.
func (s *Service) Import(ctx context.Context, r io.Reader, by auth.Caller) (created, updated int, err error) {
	if err := by.Require(auth.Editor); err != nil {
		return 0, 0, err
	}
	as, err := ParseCSV(r)
	var ie *ImportError
	switch {
	case errors.As(err, &ie):
		details := make([]apperr.Detail, len(ie.Rows))
		for i, x := range ie.Rows {
			details[i] = apperr.Detail{Line: x.Line, Reason: x.Reason}
		}
		return 0, 0, apperr.WithDetails(apperr.Invalid, ie.Error(), details)
	case err != nil && apperr.KindOf(err) == apperr.Internal:
		return 0, 0, apperr.Invalidf("%s", err.Error()) // what the file holds
	case err != nil:
		return 0, 0, err // a kind already: a body over its limit, say
	}
	return s.store.ImportAgencies(ctx, as, s.cfg.Now().UTC(), by.Actor())
}

// Agencies returns the register, ordered by name.
func (s *Service) Agencies(ctx context.Context) ([]Agency, error) { return s.store.Agencies(ctx) }

// Agency returns agency id with its checks, newest first (at most limit).
func (s *Service) Agency(ctx context.Context, id int64, limit int) (Agency, []Result, error) {
	if id < 1 {
		return Agency{}, nil, apperr.NotFoundf("no such agency")
	}
	a, err := s.store.Agency(ctx, id)
	if err != nil {
		return Agency{}, nil, err
	}
	rs, err := s.store.AgencyResults(ctx, id, limit)
	return a, rs, err
}

// ReportStatuses are what a report can be filtered by: whether an agency
// counts as compliant, and the check statuses.
var ReportStatuses = append([]string{"compliant", "noncompliant", "unchecked"}, Statuses...)

// ReportFilter selects rows of a report.
type ReportFilter struct {
	Campaign string // empty: the first campaign
	Kind     Kind
	Status   string
}

// Validate checks f's kind and status against their fixed lists.
func (f ReportFilter) Validate() error {
	ok := f.Kind == ""
	for _, k := range Kinds {
		ok = ok || k == f.Kind
	}
	if !ok {
		return apperr.BadRequestf("kind must be one of department, unit, district, commune, other")
	}
	ok = f.Status == ""
	for _, st := range ReportStatuses {
		ok = ok || st == f.Status
	}
	if !ok {
		return apperr.BadRequestf("status must be one of %s", strings.Join(ReportStatuses, ", "))
	}
	return nil
}

// Report builds the report for f's campaign and returns it with the rows f
// selects.
func (s *Service) Report(ctx context.Context, f ReportFilter) (Report, []Row, error) {
	if err := f.Validate(); err != nil {
		return Report{}, nil, err
	}
	var err error
	if f.Campaign, err = s.campaign(f.Campaign); err != nil {
		return Report{}, nil, err
	}
	as, err := s.store.Agencies(ctx)
	if err != nil {
		return Report{}, nil, err
	}
	latest, err := s.store.LatestResults(ctx)
	if err != nil {
		return Report{}, nil, err
	}
	b := NewReportBuilder(f.Campaign, as, latest)
	day7, day30 := ReportDays(s.cfg.Now())
	if err := s.store.SiteTotals(ctx, f.Campaign, day7, day30, b.Add); err != nil {
		return Report{}, nil, err
	}
	rep := b.Report()
	return rep, rep.Filter(f.Kind, f.Status), nil
}

// campaign returns the served campaign slug names ("" for the first), or
// NotFound.
func (s *Service) campaign(slug string) (string, error) {
	slugs := s.campaigns.Slugs()
	if slug == "" && len(slugs) > 0 {
		slug = slugs[0]
	}
	for _, x := range slugs {
		if x == slug {
			return slug, nil
		}
	}
	return "", apperr.NotFoundf("no campaign %q", slug)
}

// Validate checks f's kind and number of days.
func (f HistoryFilter) Validate() error {
	if err := (ReportFilter{Kind: f.Kind}).Validate(); err != nil {
		return err
	}
	if f.Days < 0 || f.Days > MaxHistoryDays {
		return apperr.BadRequestf("days must be between 1 and %d", MaxHistoryDays)
	}
	return nil
}

// History returns how many agencies (of f's kind) counted as compliant on
// each of f's last days up to today, and the campaign's impressions and
// clicks each day. An agency is compliant on a day as the report says
// today: its latest check up to that day found the badge shown, or the
// badge loaded from its site within the EvidenceDays up to it. Memory and
// time are bounded by agencies × days.
func (s *Service) History(ctx context.Context, f HistoryFilter) (History, error) {
	if err := f.Validate(); err != nil {
		return History{}, err
	}
	if f.Days == 0 {
		f.Days = DefaultHistoryDays
	}
	var err error
	if f.Campaign, err = s.campaign(f.Campaign); err != nil {
		return History{}, err
	}
	as, err := s.store.Agencies(ctx)
	if err != nil {
		return History{}, err
	}
	first, last, countsFrom := HistoryDays(s.cfg.Now(), f.Days)
	b := NewHistoryBuilder(f.Campaign, f.Kind, as, first, f.Days)
	if err := s.store.CheckDays(ctx, f.Campaign, first, last, b.AddCheck); err != nil {
		return History{}, err
	}
	if err := s.store.SiteDays(ctx, f.Campaign, countsFrom, last, b.AddSite); err != nil {
		return History{}, err
	}
	return b.History(), nil
}

// FollowUp returns the agencies of campaign (of kind, when set) that are
// not compliant, for the dispatch that reminds them: Report's rows with
// status "noncompliant", each Fix filled in with what to send
// (FollowUpFix), in the order a dispatch lists them: by kind (as Kinds),
// then under each parent, then by name.
func (s *Service) FollowUp(ctx context.Context, campaign string, kind Kind) (Report, []Row, error) {
	rep, rows, err := s.Report(ctx, ReportFilter{Campaign: campaign, Kind: kind, Status: "noncompliant"})
	if err != nil {
		return rep, nil, err
	}
	for i := range rows {
		rows[i].Fix = FollowUpFix(rows[i], s.cfg.Checker.PublicURL, rep.Campaign)
	}
	order := map[Kind]int{}
	for i, k := range Kinds {
		order[k] = i
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if order[a.Kind] != order[b.Kind] {
			return order[a.Kind] < order[b.Kind]
		}
		if ka, kb := Key(a.Parent), Key(b.Parent); ka != kb {
			return ka < kb
		}
		return Key(a.Name) < Key(b.Name)
	})
	return rep, rows, nil
}

// StartCheck starts a check of the whole register in the background; one
// runs at a time. It needs an admin.
func (s *Service) StartCheck(by auth.Caller) error {
	if err := by.Require(auth.Admin); err != nil {
		return err
	}
	if !s.begin() {
		return ErrRunning
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		defer s.end()
		agencies, err := s.store.Agencies(ctx)
		if err == nil {
			_, err = s.check(ctx, s.cfg.Checker, agencies)
		}
		if err != nil {
			s.cfg.Log.Warn("check of the register", "err", err)
		}
	}()
	return nil
}

// Check checks every agency for every campaign now, saves the results and
// returns them, or ErrRunning. With render, pages that carry the badge are
// also loaded in Chromium and the badge's code scanned. It needs an admin.
func (s *Service) Check(ctx context.Context, render bool, by auth.Caller) ([]Result, error) {
	if err := by.Require(auth.Admin); err != nil {
		return nil, err
	}
	checker, err := s.checker(render)
	if err != nil {
		return nil, err
	}
	if !s.begin() {
		return nil, ErrRunning
	}
	defer s.end()
	agencies, err := s.store.Agencies(ctx)
	if err != nil {
		return nil, err
	}
	return s.check(ctx, checker, agencies)
}

// CheckAgency checks agency id alone now, for every campaign (with render,
// in Chromium too), saves and returns the results. It needs an admin.
func (s *Service) CheckAgency(ctx context.Context, id int64, render bool, by auth.Caller) ([]Result, error) {
	if err := by.Require(auth.Admin); err != nil {
		return nil, err
	}
	checker, err := s.checker(render)
	if err != nil {
		return nil, err
	}
	a, err := s.store.Agency(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.check(ctx, checker, []Agency{a})
}

// checker is the configured checker, with rendering when asked for.
func (s *Service) checker(render bool) (*Checker, error) {
	if !render {
		return s.cfg.Checker, nil
	}
	if s.cfg.Render == nil {
		return nil, apperr.Unavailablef(nil, "render checks are off on this server")
	}
	if _, err := s.cfg.Render.Available(); err != nil {
		return nil, apperr.Unavailablef(err, "render checks need Chromium on the server: %v", err)
	}
	c := *s.cfg.Checker
	r := *s.cfg.Render
	r.Code = s.campaigns.Code
	c.Render = &r
	return &c, nil
}

// Screenshot returns the path of a render check's screenshot, by the name
// a Result gives it; NotFound when there is none.
func (s *Service) Screenshot(name string) (string, error) {
	if s.cfg.Render == nil || s.cfg.Render.Dir == "" || name == "" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		return "", apperr.NotFoundf("no such screenshot")
	}
	p := filepath.Join(s.cfg.Render.Dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", apperr.NotFoundf("no such screenshot")
	}
	return p, nil
}

func (s *Service) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return false
	}
	s.running = true
	return true
}

func (s *Service) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running, s.last = false, time.Now()
}

func (s *Service) check(ctx context.Context, checker *Checker, agencies []Agency) ([]Result, error) {
	if len(agencies) == 0 {
		return nil, apperr.Invalidf("the register is empty: import agencies first")
	}
	slugs := s.campaigns.Slugs()
	start := time.Now()
	results := checker.Check(ctx, agencies, slugs)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err := s.store.SaveResults(ctx, results); err != nil {
		return nil, err
	}
	s.cfg.Log.Info("checked the register", "agencies", len(agencies), "campaigns", len(slugs), "results", len(results), "took", time.Since(start))
	return results, nil
}

// Running reports whether a check runs now, and when the last one ended.
func (s *Service) Running() (bool, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running, s.last
}

// Schedule is who runs scheduled checks.
var Schedule = auth.Caller{Principal: auth.Principal{Account: "system:schedule", Role: auth.Admin, Via: "system"}}

// Every runs a check every interval until ctx ends.
func (s *Service) Every(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Check(ctx, false, Schedule); err != nil && !errors.Is(err, ErrRunning) && ctx.Err() == nil {
				s.cfg.Log.Warn("scheduled check", "err", err)
			}
		}
	}
}

// FlushEvery writes the counts every interval until ctx ends, and once more
// after, so a graceful shutdown loses no count. A failed flush keeps its
// counts for the next one.
func (s *Service) FlushEvery(ctx context.Context, interval time.Duration) {
	c := s.cfg.Counter
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := c.Flush(fctx, s.store, s.cfg.MaxSites); err != nil {
				s.cfg.Log.Error("flushing counts at shutdown", "err", err, "lost", c.Pending())
			}
			cancel()
			return
		case <-t.C:
			if err := c.Flush(ctx, s.store, s.cfg.MaxSites); err != nil {
				s.cfg.Log.Warn("flushing counts; kept for the next try", "err", err, "pending", c.Pending())
			}
		}
	}
}

// Flush writes the counts now.
func (s *Service) Flush(ctx context.Context) error {
	return s.cfg.Counter.Flush(ctx, s.store, s.cfg.MaxSites)
}
