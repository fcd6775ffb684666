package store

import (
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/compliance"
)

// DayRange returns the instants (UTC) a range of days in Vietnam starts
// and ends: the start of first and the start of the day after last. Both
// stores bound their queries of checks by day with it.
func DayRange(first, last string) (from, end time.Time, err error) {
	from, ok1 := compliance.DayStart(first)
	end, ok2 := compliance.DayStart(last)
	if !ok1 || !ok2 || end.Before(from) {
		return from, end, apperr.BadRequestf("days must be YYYY-MM-DD, the first not after the last")
	}
	return from, end.AddDate(0, 0, 1), nil
}
