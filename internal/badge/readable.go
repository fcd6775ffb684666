package badge

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ReadableURL returns the form of a target a person reads and types: host
// and path, without the scheme, the query (tracking parameters such as
// ?utm_source=…) or the fragment, with an internationalised domain name
// in its Unicode form, a default port dropped and percent-escapes in the
// path decoded where they decode to printable text. The QR code keeps the
// exact target; this is only what is printed beside it. Wrap it with
// WrapURL, which breaks only after a "/".
func ReadableURL(target string) string {
	target = strings.TrimSpace(target)
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		// Not an absolute URL: drop a scheme and anything from ? or # on.
		s := target
		if i := strings.Index(s, "://"); i >= 0 {
			s = s[i+3:]
		}
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i]
		}
		return strings.TrimSuffix(s, "/")
	}
	host := strings.ToLower(u.Hostname())
	if h, err := idna.Display.ToUnicode(host); err == nil {
		host = h
	}
	if p := u.Port(); p != "" && !(p == "443" && u.Scheme == "https") && !(p == "80" && u.Scheme == "http") {
		host += ":" + p
	}
	path := u.EscapedPath()
	if p, err := url.PathUnescape(path); err == nil && utf8.ValidString(p) && printable(p) {
		path = p
	}
	if path == "/" {
		path = ""
	}
	return host + path
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) || r == ' ' {
			return false
		}
	}
	return true
}
