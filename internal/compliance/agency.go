// Package compliance answers the province's question: which agency portals
// actually show the badge. It holds the agency register (with its CSV
// import), the impression and click counters, the homepage checker with
// its Content-Security-Policy reading, and the report that joins them.
// It knows nothing of HTTP serving or of any database.
package compliance

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/oabadge/oabadge/internal/audit"
)

// Kind is what sort of body an agency is.
type Kind string

// The kinds, as the dispatch lists them.
const (
	Department Kind = "department" // sở, ban, ngành
	Unit       Kind = "unit"       // đơn vị sự nghiệp công lập
	District   Kind = "district"   // huyện, thị xã, thành phố
	Commune    Kind = "commune"    // xã, phường, thị trấn
	Other      Kind = "other"
)

// Kinds lists the kinds in display order.
var Kinds = []Kind{Department, Unit, District, Commune, Other}

// KindLabels are the kinds' names in the console, by language.
var KindLabels = map[string]map[Kind]string{
	"vi": {Department: "Sở, ban, ngành", Unit: "Đơn vị sự nghiệp", District: "Huyện, thị xã, thành phố", Commune: "Xã, phường, thị trấn", Other: "Khác"},
	"en": {Department: "Department", Unit: "Public service unit", District: "District", Commune: "Commune", Other: "Other"},
}

// Agency is one body in the register.
type Agency struct {
	ID        int64
	Name      string // unique, compared in NFC and case-insensitively
	Kind      Kind
	Homepage  string // absolute http(s) URL
	Parent    string // the parent agency's name, or ""
	Contact   string // free text: a person, a phone, an address
	CreatedAt time.Time
	UpdatedAt time.Time
	// Line is the line of the imported file the agency came from (0 when
	// it did not come from a file); it is not stored.
	Line int
}

// Key is the name under which an agency is unique: NFC, case-folded,
// spaces collapsed, so a re-import in NFD or another case updates it.
func Key(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(norm.NFC.String(name)), " "))
}

// Host returns the agency's homepage host without a leading "www.", which
// is how referring sites are matched to agencies.
func (a Agency) Host() string { return SiteHost(a.Homepage) }

// SiteHost returns the lower-case host of an http(s) URL without "www.".
func SiteHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

// RowError is one bad line of an imported file.
type RowError struct {
	Line   int
	Reason string
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// ImportError lists every bad line of a file; nothing of it was written.
type ImportError struct{ Rows []RowError }

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d bad line(s), nothing imported: ", len(e.Rows))
	for i, r := range e.Rows {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == 20 {
			fmt.Fprintf(&b, "and %d more", len(e.Rows)-20)
			break
		}
		b.WriteString(r.Error())
	}
	return b.String()
}

// MaxImportRows bounds one file.
const MaxImportRows = 20000

// ParseCSV reads an agency file: UTF-8 with or without a byte-order mark,
// comma- or semicolon-separated (Excel writes either), a header row with at
// least name, kind and homepage (parent and contact optional, any order,
// other columns ignored). It returns every agency, or an *ImportError
// naming every bad line with its reason.
func ParseCSV(r io.Reader) ([]Agency, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20+1))
	if err != nil {
		return nil, err
	}
	if len(data) > 16<<20 {
		return nil, errors.New("the file is larger than 16 MiB")
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, errors.New("the file is not UTF-8: save it as \"CSV UTF-8\"")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniffComma(data)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("the file is empty: it needs a header row name,kind,homepage")
	}
	if err != nil {
		return nil, fmt.Errorf("line 1: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"name", "kind", "homepage"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("line 1: the header has no %q column (it needs name, kind, homepage; parent and contact are optional)", need)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(norm.NFC.String(rec[i]))
		}
		return ""
	}
	var out []Agency
	var bad []RowError
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, RowError{pe.StartLine, pe.Err.Error()})
				continue
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0) // only valid after a successful Read
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(out)+len(bad) >= MaxImportRows {
			return nil, fmt.Errorf("the file has more than %d rows: split it", MaxImportRows)
		}
		a := Agency{Line: line, Name: get(rec, "name"), Kind: Kind(strings.ToLower(get(rec, "kind"))), Homepage: get(rec, "homepage"),
			Parent: get(rec, "parent"), Contact: get(rec, "contact")}
		if err := a.Validate(); err != nil {
			bad = append(bad, RowError{line, err.Error()})
			continue
		}
		if first, dup := seen[Key(a.Name)]; dup {
			bad = append(bad, RowError{line, fmt.Sprintf("%q is already on line %d", a.Name, first)})
			continue
		}
		seen[Key(a.Name)] = line
		out = append(out, a)
	}
	if len(bad) > 0 {
		return nil, &ImportError{Rows: bad}
	}
	if len(out) == 0 {
		return nil, errors.New("the file has a header but no agencies")
	}
	return out, nil
}

func sniffComma(data []byte) rune {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		return ';'
	}
	return ','
}

// Validate checks a, cleaning its homepage to canonical form.
func (a *Agency) Validate() error {
	switch {
	case a.Name == "":
		return errors.New("the name is empty")
	case utf8.RuneCountInString(a.Name) > 200:
		return errors.New("the name is longer than 200 characters")
	case utf8.RuneCountInString(a.Contact) > 500:
		return errors.New("the contact is longer than 500 characters")
	case Key(a.Parent) == Key(a.Name) && a.Parent != "":
		return errors.New("an agency cannot be its own parent")
	}
	ok := false
	for _, k := range Kinds {
		ok = ok || a.Kind == k
	}
	if !ok {
		return fmt.Errorf("kind %q: use department, unit, district, commune or other", a.Kind)
	}
	u, err := url.Parse(a.Homepage)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return fmt.Errorf("homepage %q: want an http:// or https:// address", a.Homepage)
	}
	u.Host = strings.ToLower(u.Host)
	u.Fragment = ""
	if u.Path == "" {
		u.Path = "/"
	}
	a.Homepage = u.String()
	return nil
}

// WriteCSV writes rows as a CSV that Excel opens with Vietnamese intact:
// UTF-8 with a byte-order mark, CRLF line ends, and every place in a cell
// where a spreadsheet could start a formula defused (CellSafe).
func WriteCSV(w io.Writer, header []string, rows [][]string) error {
	cw := NewCSVWriter(w, header)
	for _, r := range rows {
		cw.Write(r)
	}
	return cw.Close()
}

// CSVWriter writes a CSV as WriteCSV does, one row at a time, so a long
// export streams in bounded memory. It keeps the first error, for Close.
type CSVWriter struct {
	cw   *csv.Writer
	safe []string
	err  error
}

// NewCSVWriter starts a CSV on w: the byte-order mark, then header.
func NewCSVWriter(w io.Writer, header []string) *CSVWriter {
	cw := &CSVWriter{cw: csv.NewWriter(w)}
	cw.cw.UseCRLF = true
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		cw.err = err
	}
	cw.Write(header)
	return cw
}

// Write writes one row, each cell through CellSafe.
func (w *CSVWriter) Write(row []string) {
	if w.err != nil {
		return
	}
	w.safe = w.safe[:0]
	for _, v := range row {
		w.safe = append(w.safe, CellSafe(v))
	}
	w.err = w.cw.Write(w.safe)
}

// Close flushes what is buffered and returns the first error met.
func (w *CSVWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	w.cw.Flush()
	return w.cw.Error()
}

// CellSafe keeps a spreadsheet from reading any part of a cell as a
// formula. A spreadsheet may start a cell not only at the start of ours:
// one that splits on ';' or tabs (Excel in a Vietnamese locale uses ';')
// starts one after each of them, and one that ignores quotes after each
// comma and line end; leading spaces, quotes and byte-order marks are
// often dropped first. So wherever one of = + - @ (or their full-width
// forms) comes at the start of the cell or after a separator, with only
// such ignorable characters between, a ' is put before it, which makes
// the rest text. Other text is left as it is.
func CellSafe(s string) string {
	var b strings.Builder
	start := 0        // s[start:] is not yet copied to b
	cellStart := true // no character but ignorable ones since the start or a separator
	for i, r := range s {
		switch {
		case strings.ContainsRune(formulaStarts, r):
			if cellStart {
				if b.Len() == 0 {
					b.Grow(len(s) + 4)
				}
				b.WriteString(s[start:i])
				b.WriteByte('\'')
				start = i
			}
			cellStart = false
		case strings.ContainsRune(cellSeparators, r):
			cellStart = true
		case strings.ContainsRune(cellIgnorable, r):
		default:
			cellStart = false
		}
	}
	if start == 0 && b.Len() == 0 {
		return s
	}
	b.WriteString(s[start:])
	return b.String()
}

const (
	// formulaStarts are the characters a spreadsheet reads a formula from.
	formulaStarts = "=+-@\uff1d\uff0b\uff0d\uff20"
	// cellSeparators start a new cell in some spreadsheet's reading.
	cellSeparators = ",;\t\r\n"
	// cellIgnorable may be dropped before a cell's content is read.
	cellIgnorable = " \"\u00a0\ufeff\u200b\u2028\u2029\v\f"
)

// Store keeps the register, the counts and the check results.
type Store interface {
	CountStore
	// ImportAgencies inserts or updates (by Key of the name) every agency
	// in one transaction with its audit entry, after checking that every
	// parent is in the file or the register; it returns how many were
	// created and updated, or an *ImportError and writes nothing.
	ImportAgencies(ctx context.Context, as []Agency, at time.Time, by audit.Actor) (created, updated int, err error)
	Agencies(ctx context.Context) ([]Agency, error)
	Agency(ctx context.Context, id int64) (Agency, error)
	// Counts returns every count on or after sinceDay (YYYY-MM-DD).
	Counts(ctx context.Context, sinceDay string) ([]Count, error)
	// SiteTotals calls fn with the totals of every site for campaign
	// (script loads, stored under campaign "", included) from day30 on,
	// impressions and clicks also from day7 on, one call per site, as it
	// reads them: the report never holds every count in memory.
	SiteTotals(ctx context.Context, campaign, day7, day30 string, fn func(SiteTotal) error) error
	SaveResults(ctx context.Context, rs []Result) error
	// LatestResults returns the newest result of every agency and campaign.
	LatestResults(ctx context.Context) ([]Result, error)
	// AgencyResults returns an agency's results, newest first.
	AgencyResults(ctx context.Context, agencyID int64, limit int) ([]Result, error)
	// CheckDays calls fn, for campaign, with every agency's last check
	// before day first (Day ""), and its last check of each day from first
	// to last (YYYY-MM-DD, days in Vietnam) on which it was checked: at
	// most agencies × (days+1) calls, however often the register is
	// checked. The last check is the last one saved.
	CheckDays(ctx context.Context, campaign, first, last string, fn func(CheckDay) error) error
	// SiteDays calls fn with the impressions and clicks of every site for
	// campaign (script loads, stored under campaign "", included) on each
	// day from first to last, one call per site and day, as it reads them.
	SiteDays(ctx context.Context, campaign, first, last string, fn func(SiteDay) error) error
}
