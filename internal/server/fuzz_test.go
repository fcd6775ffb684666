package server

import (
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/badge"
)

// FuzzParseBadgeQuery: any query either gives a valid variant or a
// message; it never panics and never names a variant it cannot render.
// The path parser (slug.format) gets the same input.
func FuzzParseBadgeQuery(f *testing.F) {
	for _, s := range []string{"", "size=192", "size=256&theme=dark&layout=card&dpr=2", "size=%zz", "size=1&size=2", "layout=card&size=128",
		"a=b&&&=&size", "theme=%6Cight", "size=2048&dpr=2"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, png bool) {
		// The path parser takes the same bytes: a slug and a known format, or nothing.
		if slug, format, ok := splitBadgeFile(raw); ok && (slug == "" || format.String() == "") {
			t.Fatalf("splitBadgeFile(%q) = %q, %v", raw, slug, format)
		}
		format := badge.SVG
		if png {
			format = badge.PNG
		}
		q, msg := parseBadgeQuery(raw, format)
		if msg == "" {
			_, msg = q.withLook("dark", "card")
		}
		if msg != "" {
			if !strings.Contains(msg, " ") {
				t.Fatalf("message %q does not say what is wrong", msg)
			}
			return
		}
		if v, _ := q.withLook("dark", "card"); v.Validate() != nil && v.Size != badge.PrintSize {
			t.Fatalf("parseBadgeQuery(%q) gives %s, which does not validate: %v", raw, v, v.Validate())
		}
	})
}
