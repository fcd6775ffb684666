package server

import "testing"

func TestMergeCSP(t *testing.T) {
	const o = "https://badge.example.gov.vn"
	for _, c := range []struct {
		name, policy, form, want string
	}{
		{"empty policy needs nothing", "", formScript, ""},
		{"blank policy needs nothing", " ; ;", formImg, ""},
		{"script form opens script-src and img-src",
			"default-src 'self'; script-src 'self' https://cdn.example; img-src 'self' data:", formScript,
			"default-src 'self'; script-src 'self' https://cdn.example " + o + "; img-src 'self' data: " + o},
		{"image form opens img-src alone",
			"script-src 'self'; img-src 'self'", formImg,
			"script-src 'self'; img-src 'self' " + o},
		{"iframe opens frame-src alone",
			"frame-src 'self' https://www.youtube.com; img-src 'self'", formFrame,
			"frame-src 'self' https://www.youtube.com " + o + "; img-src 'self'"},
		{"an absent directive falls back to default-src, whose sources it keeps",
			"default-src 'self' https://static.example", formScript,
			"default-src 'self' https://static.example; script-src 'self' https://static.example " + o + "; img-src 'self' https://static.example " + o},
		{"frame-src falls back to child-src first",
			"default-src 'none'; child-src 'self'", formFrame,
			"default-src 'none'; child-src 'self'; frame-src 'self' " + o},
		{"no fallback, nothing restricted: left alone",
			"style-src 'self'; object-src 'none'", formScript, "style-src 'self'; object-src 'none'"},
		{"'none' is replaced, not joined",
			"img-src 'none'", formImg, "img-src " + o},
		{"already allowed: unchanged",
			"img-src 'self' " + o + "/", formImg, "img-src 'self' " + o + "/"},
		{"a wildcard already allows it",
			"img-src *", formImg, "img-src *"},
		{"a repeated directive is kept once, the first, as browsers obey",
			"img-src 'self'; img-src https://other.example", formImg, "img-src 'self' " + o},
		{"names are case-insensitive; spacing is normalised",
			"  IMG-SRC   'self'  ;default-src 'self'", formImg, "img-src 'self' " + o + "; default-src 'self'"},
		{"'self' is preserved where the fallback has it",
			"default-src 'self'", formImg, "default-src 'self'; img-src 'self' " + o},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := mergeCSP(c.policy, c.form, o); got != c.want {
				t.Errorf("mergeCSP(%q, %s)\n got %q\nwant %q", c.policy, c.form, got, c.want)
			}
		})
	}
}
