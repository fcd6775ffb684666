package server_test

import (
	"testing"

	"github.com/oabadge/oabadge/internal/compliance"
)

// TestPageCSPMerge pins what the page's CSP merge gives webmasters
// (compliance.MergeCSP, which the page calls), in the page's terms.
func TestPageCSPMerge(t *testing.T) {
	const o = "https://badge.example.gov.vn"
	for _, c := range []struct {
		name, policy, form, want string
	}{
		{"empty policy needs nothing", "", "script", ""},
		{"blank policy needs nothing", " ; ;", "img", ""},
		{"script form opens script-src and img-src",
			"default-src 'self'; script-src 'self' https://cdn.example; img-src 'self' data:", "script",
			"default-src 'self'; script-src 'self' https://cdn.example " + o + "; img-src 'self' data: " + o},
		{"image form opens img-src alone",
			"script-src 'self'; img-src 'self'", "img",
			"script-src 'self'; img-src 'self' " + o},
		{"iframe opens frame-src alone",
			"frame-src 'self' https://www.youtube.com; img-src 'self'", "iframe",
			"frame-src 'self' https://www.youtube.com " + o + "; img-src 'self'"},
		{"an absent directive falls back to default-src, whose sources it keeps",
			"default-src 'self' https://static.example", "script",
			"default-src 'self' https://static.example; script-src 'self' https://static.example " + o + "; img-src 'self' https://static.example " + o},
		{"frame-src falls back to child-src first",
			"default-src 'none'; child-src 'self'", "iframe",
			"default-src 'none'; child-src 'self'; frame-src 'self' " + o},
		{"no fallback, nothing restricted: left alone",
			"style-src 'self'; object-src 'none'", "script", "style-src 'self'; object-src 'none'"},
		{"'none' is replaced, not joined",
			"img-src 'none'", "img", "img-src " + o},
		{"already allowed: unchanged",
			"img-src 'self' " + o + "/", "img", "img-src 'self' " + o + "/"},
		{"a wildcard already allows it",
			"img-src *", "img", "img-src *"},
		{"a repeated directive is kept once, the first, as browsers obey",
			"img-src 'self'; img-src https://other.example", "img", "img-src 'self' " + o},
		{"names are case-insensitive; spacing is normalised",
			"  IMG-SRC   'self'  ;default-src 'self'", "img", "img-src 'self' " + o + "; default-src 'self'"},
		{"'self' is preserved where the fallback has it",
			"default-src 'self'", "img", "default-src 'self'; img-src 'self' " + o},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := compliance.ParseForm(c.form)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := compliance.MergeCSP(c.policy, o, f); got != c.want || err != nil {
				t.Errorf("MergeCSP(%q, %s)\n got %q, %v\nwant %q", c.policy, c.form, got, err, c.want)
			}
		})
	}
}
