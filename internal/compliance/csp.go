package compliance

import (
	"encoding/base64"
	"net/url"
	"strings"
)

// Policy is one Content-Security-Policy: directive names (lower case) to
// their source lists.
type Policy map[string][]string

// ParsePolicies reads a Content-Security-Policy header or meta value.
// Several policies may be joined by commas; a resource must pass them all.
// Of repeated directives the first counts, as browsers do. What a browser
// would ignore is dropped here too: directive names that are not names, and
// source expressions with characters outside printable ASCII.
func ParsePolicies(value string) []Policy {
	var out []Policy
	for _, one := range strings.Split(value, ",") {
		p := Policy{}
		for _, d := range parseDirectives(one) {
			p[d.Name] = d.Sources
		}
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// directive is one directive of a policy, in the order the policy has them.
type directive struct {
	Name    string
	Sources []string
}

// parseDirectives reads one policy (no commas) in order, first of a
// repeated name only.
func parseDirectives(policy string) []directive {
	var out []directive
	seen := map[string]bool{}
	for _, d := range strings.Split(policy, ";") {
		fields := strings.Fields(d)
		if len(fields) == 0 {
			continue
		}
		name := strings.ToLower(fields[0])
		if !directiveName(name) || seen[name] {
			continue
		}
		seen[name] = true
		srcs := make([]string, 0, len(fields)-1)
		for _, s := range fields[1:] {
			if printableASCII(s) {
				srcs = append(srcs, s)
			}
		}
		out = append(out, directive{name, srcs})
	}
	return out
}

func directiveName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return s != ""
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
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

// element is what a tag brings to a policy check besides its URL: a
// script's nonce and Subresource Integrity metadata.
type element struct {
	nonce     string
	integrity []sriHash
}

// Blocked reports whether p stops a page at page from loading target as
// form f, and if so which directive does. A script is judged as a tag
// without nonce or integrity; the checker itself also weighs those.
func (p Policy) Blocked(f Form, target, page *url.URL) (string, bool) {
	return p.blocks(f, target, page, element{})
}

// blocks is Blocked for a tag with its nonce and integrity: a nonce or a
// listed hash lets a script in whatever else the list says, and
// 'strict-dynamic' makes host and scheme sources count for nothing.
func (p Policy) blocks(f Form, target, page *url.URL, el element) (string, bool) {
	if f == FormScript {
		if flags, ok := p["sandbox"]; ok && !hasToken(flags, "allow-scripts") {
			return "sandbox", true
		}
	}
	d, srcs, ok := p.directive(f)
	if !ok {
		return "", false
	}
	if f == FormScript {
		if el.nonce != "" && hasToken(srcs, "'nonce-"+el.nonce+"'") {
			return "", false
		}
		if hashesListed(srcs, el.integrity) {
			return "", false
		}
		if hasKeyword(srcs, "'strict-dynamic'") {
			return d, true // host sources are ignored; only nonces and hashes count
		}
	}
	for _, s := range srcs {
		if sourceMatches(s, target, page) {
			return "", false
		}
	}
	return d, true
}

// hasToken reports whether srcs holds tok exactly (nonces are
// case-sensitive).
func hasToken(srcs []string, tok string) bool {
	for _, s := range srcs {
		if s == tok {
			return true
		}
	}
	return false
}

func hasKeyword(srcs []string, kw string) bool {
	for _, s := range srcs {
		if strings.EqualFold(s, kw) {
			return true
		}
	}
	return false
}

// hashesListed reports whether every hash of a script's integrity metadata
// is among the hash sources of srcs, which lets an external script in
// (CSP Level 3).
func hashesListed(srcs []string, integrity []sriHash) bool {
	if len(integrity) == 0 {
		return false
	}
	listed := map[string]bool{}
	for _, s := range srcs {
		if h, ok := parseHashSource(s); ok {
			listed[h.key()] = true
		}
	}
	if len(listed) == 0 {
		return false
	}
	for _, h := range integrity {
		if !listed[h.key()] {
			return false
		}
	}
	return true
}

// parseHashSource reads 'sha384-BASE64' (base64 or base64url).
func parseHashSource(s string) (sriHash, bool) {
	if len(s) < 3 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return sriHash{}, false
	}
	return parseSRIToken(s[1 : len(s)-1])
}

// sriHash is one hash of Subresource Integrity metadata or of a CSP hash
// source.
type sriHash struct {
	alg string // sha256, sha384 or sha512
	sum []byte
}

func (h sriHash) key() string { return h.alg + "-" + string(h.sum) }

// parseSRIToken reads "sha384-BASE64" (options after "?" are ignored).
func parseSRIToken(tok string) (sriHash, bool) {
	alg, val, ok := strings.Cut(tok, "-")
	if !ok {
		return sriHash{}, false
	}
	alg = strings.ToLower(alg)
	size := map[string]int{"sha256": 32, "sha384": 48, "sha512": 64}[alg]
	if size == 0 {
		return sriHash{}, false
	}
	val, _, _ = strings.Cut(val, "?")
	val = strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimRight(val, "="))
	sum, err := base64.RawStdEncoding.DecodeString(val)
	if err != nil || len(sum) != size {
		return sriHash{}, false
	}
	return sriHash{alg, sum}, true
}

// parseIntegrity reads an integrity attribute: the hashes with a known
// algorithm, the rest ignored, as browsers do.
func parseIntegrity(attr string) []sriHash {
	var out []sriHash
	for _, tok := range strings.Fields(attr) {
		if h, ok := parseSRIToken(tok); ok {
			out = append(out, h)
		}
	}
	return out
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
	host = strings.Trim(host, "[]")
	switch {
	case host == "*":
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
		// No port: the URL must be on its scheme's default port (or on
		// 443 where the source says http and the URL upgraded to https).
		def := portOf(&url.URL{Scheme: tScheme})
		if tPort != def {
			return false
		}
	default:
		if port != tPort {
			return false
		}
	}
	if path != "" {
		p := "/" + path
		if dec, err := url.PathUnescape(p); err == nil {
			p = dec
		}
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
// starting from default-src's sources. MergeCSP gives the whole policy.
func (p Policy) FixLine(f Form, origin string) string {
	_, srcs, _ := p.directive(f)
	name := fallbacks[f][0]
	if f == FormScript {
		name = "script-src"
	}
	var out []string
	for _, s := range srcs {
		if !strings.EqualFold(s, "'none'") && !strings.EqualFold(s, "'strict-dynamic'") {
			out = append(out, s)
		}
	}
	return name + " " + strings.TrimSpace(strings.Join(append(out, origin), " "))
}
