package compliance

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	// excelize writes the follow-up list as a real workbook: a maintained
	// library that streams rows and writes every string as an inline
	// string cell (a formula only when asked for one), so no agency name or
	// reason can turn into a formula, and Vietnamese text stays as it is.
	"github.com/xuri/excelize/v2"
)

// FollowUpHeader names the columns of the follow-up list, in the CSV and
// the workbook alike.
var FollowUpHeader = []string{"agency", "kind", "homepage", "parent", "contact", "status", "reason", "fix", "checked_at", "last_seen"}

// FollowUpRecord is a follow-up row's cells, in FollowUpHeader's order: an
// agency never checked has status "unchecked", times are UTC+7.
func FollowUpRecord(r Row) []string {
	status, checked := r.CheckStatus(), ""
	if !r.CheckedAt.IsZero() {
		checked = r.CheckedAt.In(time.FixedZone("UTC+7", vietnamOffset)).Format("2006-01-02 15:04")
	}
	return []string{r.Name, string(r.Kind), r.Homepage, r.Parent, r.Contact, status, r.Reason, r.Fix, checked, r.LastSeen}
}

// CheckStatus is the row's latest check status, or "unchecked" when the
// agency was never checked.
func (r Row) CheckStatus() string {
	if r.Status == "" {
		return "unchecked"
	}
	return r.Status
}

// FollowUpFix is what to send an agency that is not compliant: the
// checker's own fix when it has one (the policy line to paste), else what
// its status calls for, pointing at the page of this server (publicURL)
// that gives the snippet of campaign.
func FollowUpFix(r Row, publicURL, campaign string) string {
	if r.Fix != "" {
		return r.Fix
	}
	page := "the badge page of this server"
	if publicURL != "" {
		page = strings.TrimSuffix(publicURL, "/") + "/?c=" + campaign
	}
	switch r.Status {
	case Blocked:
		return "Allow this server's images in the portal's Content-Security-Policy (img-src), or paste the image snippet from " + page + "."
	case Broken:
		return "Replace the badge on the homepage with a fresh snippet from " + page + ": the one there does not load."
	case Refused, Unreachable, HTTPError:
		return "Make the homepage reachable from the internet; then, if the badge is not on it, paste the image snippet from " + page + "."
	}
	return "Paste the image snippet from " + page + " on the homepage (it works in every CMS: in NukeViet, in an HTML block)."
}

// XLSX bounds: the widths columns are given, in characters.
const (
	minColWidth = 8
	maxColWidth = 60
)

// WriteXLSX writes rows as an Excel workbook with one sheet named sheet:
// header in bold, frozen above the rows, and every cell a text cell. A
// cell is never a formula, whatever it starts with, so no defusing is
// needed (or done): the text reads as it was given. Text past Excel's
// 32,767 characters a cell is cut.
func WriteXLSX(w io.Writer, sheet string, header []string, rows [][]string) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	widths := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, v := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], min(utf8.RuneCountInString(v), maxColWidth))
			}
		}
	}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, float64(max(wd+2, minColWidth))); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for n, r := range rows {
		cells = cells[:0]
		for _, v := range r {
			cells = append(cells, v)
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", n+2), cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
