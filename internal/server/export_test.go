package server

import "github.com/oabadge/oabadge/internal/embedscript"

// SetReleases makes servers built from now on take their embed script
// releases from fn, as a later binary with a changed script would, and
// returns the function that restores the frozen ones.
func SetReleases(fn func(publicURL string) ([]embedscript.Script, error)) (restore func()) {
	old := releases
	releases = fn
	return func() { releases = old }
}
