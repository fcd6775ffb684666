package compliance

import (
	"net/url"
	"strings"
)

// Policy is one Content-Security-Policy: directive names (lower case) to
// their source lists.
type Policy map[string][]string

// ParsePolicies reads a Content-Security-Policy header or meta value.
// Several policies may be joined by commas; a resource must pass them all.
// Of repeated directives the first counts, as browsers do.
func ParsePolicies(value string) []Policy {
	var out []Policy
	for _, one := range strings.Split(value, ",") {
		p := Policy{}
		for _, d := range strings.Split(one, ";") {
			fields := strings.Fields(d)
			if len(fields) == 0 {
				continue
			}
			name := strings.ToLower(fields[0])
			if _, dup := p[name]; dup {
				continue
			}
			p[name] = fields[1:]
		}
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// Form is a way the badge is embedded, and the directive that governs it.
type Form string

// The forms.
const (
	FormImage  Form = "image"
	FormScript Form = "script"
	FormFrame  Form = "iframe"
)

// fallbacks lists, for each form, the directives a browser consults in
// order; the first present one decides.
var fallbacks = map[Form][]string{
	FormImage:  {"img-src", "default-src"},
	FormScript: {"script-src-elem", "script-src", "default-src"},
	FormFrame:  {"frame-src", "child-src", "default-src"},
}

// directive returns the directive of p that governs f, and its sources.
func (p Policy) directive(f Form) (string, []string, bool) {
	for _, d := range fallbacks[f] {
		if srcs, ok := p[d]; ok {
			return d, srcs, true
		}
	}
	return "", nil, false
}

// Blocked reports whether p stops a page at page from loading target as
// form f, and if so which directive does.
func (p Policy) Blocked(f Form, target, page *url.URL) (string, bool) {
	d, srcs, ok := p.directive(f)
	if !ok {
		return "", false
	}
	if f == FormScript {
		for _, s := range srcs {
			if strings.EqualFold(s, "'strict-dynamic'") {
				return d, true // host sources are ignored; only nonces and hashes count
			}
		}
	}
	for _, s := range srcs {
		if sourceMatches(s, target, page) {
			return "", false
		}
	}
	return d, true
}

// sourceMatches implements CSP source-expression matching for http(s)
// URLs: *, 'self', scheme sources and host sources with wildcards.
func sourceMatches(src string, target, page *url.URL) bool {
	s := strings.ToLower(src)
	tScheme, tHost, tPort := target.Scheme, strings.ToLower(target.Hostname()), portOf(target)
	switch {
	case s == "*":
		return tScheme == "http" || tScheme == "https"
	case s == "'self'":
		return strings.EqualFold(page.Hostname(), tHost) && portOf(page) == tPort &&
			(page.Scheme == tScheme || page.Scheme == "http" && tScheme == "https")
	case strings.HasPrefix(s, "'"):
		return false // 'none', nonces, hashes, keywords
	case strings.HasSuffix(s, ":") && !strings.Contains(s, "/"):
		scheme := strings.TrimSuffix(s, ":")
		return scheme == tScheme || scheme == "http" && tScheme == "https"
	}
	scheme, rest, hasScheme := strings.Cut(s, "://")
	if !hasScheme {
		rest, scheme = s, ""
	}
	if scheme != "" && scheme != tScheme && !(scheme == "http" && tScheme == "https") {
		return false
	}
	if scheme == "" && tScheme != "http" && tScheme != "https" {
		return false
	}
	hostPort, path, _ := strings.Cut(rest, "/")
	host, port := hostPort, ""
	if i := strings.LastIndexByte(hostPort, ':'); i >= 0 && !strings.Contains(hostPort[i:], "]") {
		host, port = hostPort[:i], hostPort[i+1:]
	}
	switch {
	case strings.HasPrefix(host, "*."):
		if !strings.HasSuffix(tHost, host[1:]) {
			return false
		}
	case host != tHost:
		return false
	}
	switch port {
	case "*":
	case "":
		def := "443"
		if scheme == "http" || (scheme == "" && page.Scheme == "http") {
			def = "80"
		}
		if tPort != def && !(def == "80" && tPort == "443") {
			return false
		}
	default:
		if port != tPort {
			return false
		}
	}
	if path != "" {
		p := "/" + path
		if strings.HasSuffix(p, "/") {
			return strings.HasPrefix(target.Path, p)
		}
		return target.Path == p
	}
	return true
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}

// FixLine returns the directive as the portal should send it so that it
// allows origin: its present sources with the origin added ('none'
// dropped), or, when the policy has only default-src, a new directive
// starting from default-src's sources.
func (p Policy) FixLine(f Form, origin string) string {
	_, srcs, _ := p.directive(f)
	name := fallbacks[f][0]
	if f == FormScript {
		name = "script-src"
	}
	if f == FormFrame {
		name = "frame-src"
	}
	var out []string
	for _, s := range srcs {
		if !strings.EqualFold(s, "'none'") && !strings.EqualFold(s, "'strict-dynamic'") {
			out = append(out, s)
		}
	}
	return name + " " + strings.TrimSpace(strings.Join(append(out, origin), " "))
}
