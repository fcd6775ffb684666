package campaign

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/oabadge/oabadge/internal/apperr"
)

// A target is read here the way a browser reads it (the WHATWG URL
// Standard), and put back together in one canonical form: the form that is
// stored, compared with the pinned ids, encoded in the QR code and sent in
// the redirect. What the canonical form changes is only spelling that no
// server tells apart: the case of the scheme, the host and %-escapes,
// escapes of letters, digits and -._~ (written plainly), characters a
// browser escapes anyway (escaped), an empty "?" or "#" (dropped), an empty
// path (written "/"). Anything a browser or a server would resolve into
// something else than what was typed (dot segments, encoded slashes,
// characters browsers drop, look-alike Unicode, double escapes, ";"
// parameters that some servers cut off) is refused, with the reason, since
// the person approving a target must see where it leads.

// parsed is a target taken apart, in canonical form.
type parsed struct {
	host string
	// segs are the path segments as written in the canonical form, and
	// decoded. There is always one; the last may be empty (a trailing "/").
	segs, segsDec []string
	// query is the canonical query without "?", "" when there is none.
	query  string
	params []param
	// frag is the canonical fragment without "#", "" when there is none.
	frag, fragDec string
}

// param is one "&"-separated part of a query, decoded.
type param struct {
	name, value string
	hasValue    bool // written with "="
}

// String returns the canonical form.
func (t *parsed) String() string {
	var b strings.Builder
	b.WriteString("https://")
	b.WriteString(t.host)
	for _, s := range t.segs {
		b.WriteByte('/')
		b.WriteString(s)
	}
	if t.query != "" {
		b.WriteByte('?')
		b.WriteString(t.query)
	}
	if t.frag != "" {
		b.WriteByte('#')
		b.WriteString(t.frag)
	}
	return b.String()
}

// parseTarget takes raw apart and puts it in canonical form; the host must
// be a host name (CheckHost) but is not compared with an allowlist.
func parseTarget(raw string) (*parsed, error) {
	// Browsers strip C0 controls and spaces around a URL; so do we.
	raw = strings.TrimFunc(raw, func(r rune) bool { return r <= ' ' })
	if raw == "" {
		return nil, apperr.Invalidf("target is empty")
	}
	if len(raw) > MaxTargetLength {
		return nil, apperr.Invalidf("target is %d bytes long, the limit is %d", len(raw), MaxTargetLength)
	}
	if err := checkRunes(raw); err != nil {
		return nil, err
	}
	i := strings.IndexByte(raw, ':')
	if i < 0 || !strings.EqualFold(raw[:i], "https") {
		return nil, apperr.Invalidf("target must start with https://")
	}
	rest := raw[i+1:]
	if !strings.HasPrefix(rest, "//") || strings.HasPrefix(rest, "///") {
		// Browsers read "https:zalo.me/1" and "https:///zalo.me/1" as
		// https://zalo.me/1, most other software does not: refuse both.
		return nil, apperr.Invalidf("target must be an absolute https:// URL with a host, like https://zalo.me/1234567890123456789")
	}
	rest = rest[2:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	t := &parsed{}
	var err error
	if t.host, err = parseHost(rest[:end]); err != nil {
		return nil, err
	}
	rest = rest[end:]
	path, query, frag := rest, "", ""
	hasQuery, hasFrag := false, false
	if j := strings.IndexByte(path, '#'); j >= 0 {
		path, frag, hasFrag = path[:j], path[j+1:], true
	}
	if j := strings.IndexByte(path, '?'); j >= 0 {
		path, query, hasQuery = path[:j], path[j+1:], true
	}
	if err := t.parsePath(path); err != nil {
		return nil, err
	}
	if hasQuery && query != "" {
		if err := t.parseQuery(query); err != nil {
			return nil, err
		}
	}
	if hasFrag && frag != "" {
		if t.frag, t.fragDec, err = canonPart(frag, "fragment", fragmentKeep, false); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// checkRunes refuses the characters a browser would drop or rewrite before
// it reads the URL, and anything that is not printable ASCII.
func checkRunes(raw string) error {
	for i, r := range raw {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return apperr.Invalidf("target contains a tab or line break, which browsers silently remove: retype the target on one line without spaces")
		case r == ' ':
			return apperr.Invalidf("target contains a space: remove it, or write it as %%20 if it belongs there")
		case r == '\\':
			return apperr.Invalidf("target contains a backslash, which browsers read as a slash: write / if that is what you mean")
		case r < ' ' || r == 0x7f:
			return apperr.Invalidf("target contains the control character %U: remove it", r)
		case r == utf8.RuneError && !strings.HasPrefix(raw[i:], "\uFFFD"):
			return apperr.Invalidf("target is not valid UTF-8 text")
		case r > 0x7e:
			if n := norm.NFKC.String(string(r)); n != string(r) && isPrintableASCII(n) {
				return apperr.Invalidf("target contains %q, a look-alike of the ASCII %q: type %q instead", r, n, n)
			}
			return apperr.Invalidf("target contains %q: a target is plain ASCII; type the host in ASCII letters, and other characters %%-escaped, as a browser's address bar gives them when the link is copied", r)
		}
	}
	return nil
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return s != ""
}

// parseHost checks the authority part of a target and returns its host,
// lower-cased.
func parseHost(a string) (string, error) {
	switch {
	case a == "":
		return "", apperr.Invalidf("target must be an absolute https:// URL with a host, like https://zalo.me/1234567890123456789")
	case strings.Contains(a, "@"):
		return "", apperr.Invalidf("target must not contain a user name or password (anything before @)")
	case strings.HasPrefix(a, "["):
		return "", apperr.Invalidf("target must name its host by name, not by IP address")
	case strings.Contains(a, ":"):
		return "", apperr.Invalidf("target must not name a port (remove the : and what follows it)") // also an empty one: "zalo.me:"
	case strings.Contains(a, "%"):
		return "", apperr.Invalidf("target host %q is %%-escaped: write the host name plainly", a)
	}
	h := strings.ToLower(a)
	if strings.HasSuffix(h, ".") && strings.TrimRight(h, ".") != "" {
		return "", apperr.Invalidf("target host %q ends with a dot: write %s", a, strings.TrimRight(h, "."))
	}
	if err := CheckHost(h); err != nil {
		return "", apperr.Invalidf("target %s", err)
	}
	return h, nil
}

// parsePath fills t's path from p, which is empty or starts with "/".
func (t *parsed) parsePath(p string) error {
	if p == "" {
		p = "/"
	}
	raw := strings.Split(p[1:], "/")
	t.segs = make([]string, len(raw))
	t.segsDec = make([]string, len(raw))
	for i, s := range raw {
		if strings.Contains(s, ";") {
			return apperr.Invalidf("target's path contains \";\" (in %q), after which some servers ignore the rest of the segment: remove it and what follows it", s)
		}
		c, d, err := canonPart(s, "path", pathKeep, true)
		if err != nil {
			return err
		}
		if d == "." || d == ".." {
			return apperr.Invalidf("target's path contains the segment %q, which browsers resolve away: the link leads to %s; write that instead if it is the one you mean", s, resolvedDots(t.hostPrefix(), raw))
		}
		if d != "" && strings.Trim(d, ". ") == "" {
			return apperr.Invalidf("target's path contains the segment %q, made only of dots and spaces, which some servers read as a step up: remove it", s)
		}
		if d == "" && i < len(raw)-1 {
			return apperr.Invalidf("target's path contains an empty segment (two slashes in a row), which servers read differently: write a single /")
		}
		t.segs[i], t.segsDec[i] = c, d
	}
	return nil
}

func (t *parsed) hostPrefix() string { return "https://" + t.host }

// resolvedDots returns where a browser takes a path with dot segments:
// "." is dropped, ".." drops the segment before it.
func resolvedDots(prefix string, segs []string) string {
	var out []string
	for i, s := range segs {
		last := i == len(segs)-1
		switch d := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(s, "%2e", "."), "%2E", ".")); d {
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		case ".":
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return prefix + "/" + strings.Join(out, "/")
}

// parseQuery fills t's query from q (without "?", not empty).
func (t *parsed) parseQuery(q string) error {
	pieces := strings.Split(q, "&")
	out := make([]string, len(pieces))
	for i, piece := range pieces {
		name, value, hasValue := strings.Cut(piece, "=")
		cn, dn, err := canonPart(name, "query", queryKeep, false)
		if err != nil {
			return err
		}
		cv, dv, err := canonPart(value, "query", queryKeep, false)
		if err != nil {
			return err
		}
		out[i] = cn
		if hasValue {
			out[i] += "=" + cv
		}
		t.params = append(t.params, param{name: dn, value: dv, hasValue: hasValue})
	}
	t.query = strings.Join(out, "&")
	return nil
}

// keepSet says which ASCII bytes a part keeps as they are; every other
// byte is %-escaped. The sets are RFC 3986's, less what browsers escape
// themselves (' in a query) and less ";" in a path (refused before).
type keepSet [128]bool

func newKeepSet(extra string) *keepSet {
	var k keepSet
	for c := byte(0); c < 128; c++ {
		k[c] = unreserved(c)
	}
	for i := 0; i < len(extra); i++ {
		k[extra[i]] = true
	}
	return &k
}

var (
	pathKeep     = newKeepSet("!$&'()*+,=:@")
	queryKeep    = newKeepSet("!$&()*+,;=:@/?")
	fragmentKeep = queryKeep
)

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const upperHex = "0123456789ABCDEF"

// canonPart returns s (one path segment, query name or value, or the
// fragment; printable ASCII) in canonical form, and decoded. It refuses
// escapes that servers disagree about: of "%" (decoded twice by some), of
// control characters, of delimiters in a path segment, and decoded text
// that is not UTF-8, holds invisible characters, or is not in NFKC form
// (fullwidth digits, look-alike dots and slashes).
func canonPart(s, where string, keep *keepSet, inPath bool) (canon, decoded string, err error) {
	var c, d strings.Builder
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b != '%' {
			d.WriteByte(b)
			if keep[b] {
				c.WriteByte(b)
			} else {
				c.WriteByte('%')
				c.WriteByte(upperHex[b>>4])
				c.WriteByte(upperHex[b&15])
			}
			continue
		}
		var hi, lo byte
		ok := i+2 < len(s)
		if ok {
			var ok1, ok2 bool
			hi, ok1 = unhex(s[i+1])
			lo, ok2 = unhex(s[i+2])
			ok = ok1 && ok2
		}
		if !ok {
			return "", "", apperr.Invalidf("target's %s contains a %% that does not start a %%XX escape (in %q): remove it", where, s)
		}
		v := hi<<4 | lo
		esc := s[i : i+3]
		i += 2
		switch {
		case v == '%':
			return "", "", apperr.Invalidf("target's %s contains %s, an escaped %%, which some servers decode twice: write the character itself", where, esc)
		case v < ' ' || v == 0x7f:
			return "", "", apperr.Invalidf("target's %s contains %s, an escaped control character: remove it", where, esc)
		case inPath && (v == '/' || v == '\\' || v == '?' || v == '#' || v == ';'):
			return "", "", apperr.Invalidf("target's path contains %s, an escaped \"%c\", which servers read differently: write the path without it", esc, v)
		}
		d.WriteByte(v)
		if unreserved(v) {
			c.WriteByte(v)
		} else {
			c.WriteByte('%')
			c.WriteByte(upperHex[v>>4])
			c.WriteByte(upperHex[v&15])
		}
	}
	decoded = d.String()
	if !utf8.ValidString(decoded) {
		return "", "", apperr.Invalidf("target's %s has %%-escapes that are not UTF-8 text (in %q): escape the characters' UTF-8 bytes, as a browser does", where, s)
	}
	for _, r := range decoded {
		if !unicode.IsPrint(r) && r != ' ' {
			return "", "", apperr.Invalidf("target's %s contains the invisible or unassigned character %U (in %q): remove it", where, r, s)
		}
	}
	if !norm.NFKC.IsNormalString(decoded) {
		return "", "", apperr.Invalidf("target's %s contains %q, which some servers read as %q (look-alike or compatibility characters): write that instead", where, decoded, norm.NFKC.String(decoded))
	}
	return c.String(), decoded, nil
}

// IDLikeDigits is the length from which a run of digits in a target counts
// as an Official Account id (Zalo's are 16 to 19 digits long, phone
// numbers 10). Shorter numbers, a year in utm_campaign=tet2025 say, are
// not; a number equal to a pinned id is, whatever its length.
const IDLikeDigits = 5

// PinnedQueryParams are the query parameters a target may carry when its
// campaign pins Official Account ids, besides "id" on oa.zalo.me, where it
// names the account: campaign tracking, and Zalo's own "src".
var PinnedQueryParams = []string{"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "src"}

// idPlace is where a target names an Official Account id.
type idPlace struct {
	where string // for messages: "path", "query parameter id"
	id    string
	seg   int // the path segment, or -1
	param int // the query parameter, or -1
}

// idPlaces returns the places where t names an Official Account id: the
// first path segment of a zalo.me link; every "id" query parameter and
// every all-digit path segment of an oa.zalo.me link.
func (t *parsed) idPlaces() []idPlace {
	var out []idPlace
	switch t.host {
	case "zalo.me":
		if oaIDRE.MatchString(t.segsDec[0]) {
			out = append(out, idPlace{where: "path", id: t.segsDec[0], seg: 0, param: -1})
		}
	case "oa.zalo.me":
		for i, s := range t.segsDec {
			if oaIDRE.MatchString(s) {
				out = append(out, idPlace{where: "path", id: s, seg: i, param: -1})
			}
		}
		for i, p := range t.params {
			if p.name == "id" && oaIDRE.MatchString(p.value) {
				out = append(out, idPlace{where: "query parameter id", id: p.value, seg: -1, param: i})
			}
		}
	}
	return out
}

// checkPins refuses t unless ids is empty, or t names exactly one
// Official Account id, once, in the place its host keeps it, that id is one
// of ids, and nothing else in t looks like an id.
func (t *parsed) checkPins(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	pinned := strings.Join(ids, ", ")
	seen := map[string]bool{}
	for _, p := range t.params {
		if p.name == "" && p.value == "" {
			continue // "a=1&&b=2"
		}
		if !(p.name == "id" && t.host == "oa.zalo.me") && !containsString(PinnedQueryParams, p.name) {
			return apperr.Invalidf("target's query parameter %q is not allowed on a campaign with pinned Official Account ids: keep only %s", p.name, strings.Join(PinnedQueryParams, ", "))
		}
		if seen[p.name] {
			return apperr.Invalidf("target's query names %q twice; a campaign with pinned Official Account ids takes each parameter once", p.name)
		}
		seen[p.name] = true
	}
	places := t.idPlaces()
	switch {
	case len(places) == 0:
		how := "https://zalo.me/ followed by the id"
		if t.host == "oa.zalo.me" {
			how = "https://oa.zalo.me/…?id= followed by the id"
		}
		if t.host == "zalo.me" && t.segsDec[0] != "" && isDigits(t.segsDec[0]) {
			return apperr.Invalidf("target's path %q is too long for an Official Account id (at most 32 digits); this campaign is pinned to %s", t.segsDec[0], pinned)
		}
		return apperr.Invalidf("target names no Official Account id; this campaign is pinned to %s: write the link as %s", pinned, how)
	case len(places) > 1:
		return apperr.Invalidf("target names an Official Account id in more than one place (%s %s and %s %s); a campaign with pinned ids takes a link that names one id, once", places[0].where, places[0].id, places[1].where, places[1].id)
	}
	at := places[0]
	if !containsString(ids, at.id) {
		return apperr.Invalidf("target's Official Account id %s is not pinned for this campaign (pinned: %s)", at.id, pinned)
	}
	idLike := func(where, text string) error {
		for _, run := range digitRuns(text) {
			if utf8.RuneCountInString(run) >= IDLikeDigits || sameNumber(run, at.id) || containsNumber(ids, run) {
				return apperr.Invalidf("target names the number %s in its %s besides the Official Account id %s; a campaign with pinned ids takes a link that names one id, once: remove it (write a date as 2025-01-31)", run, where, at.id)
			}
		}
		return nil
	}
	for i, s := range t.segsDec {
		if i == at.seg {
			continue
		}
		if err := idLike("path", s); err != nil {
			return err
		}
	}
	for i, p := range t.params {
		if err := idLike("query", p.name); err != nil {
			return err
		}
		if i == at.param {
			continue
		}
		if err := idLike(fmt.Sprintf("query parameter %s", p.name), p.value); err != nil {
			return err
		}
	}
	return idLike("fragment (after #)", t.fragDec)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// digitRuns returns the longest runs of decimal digits in s, of any script.
func digitRuns(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		if unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// sameNumber reports whether the digit runs a and b have the same value,
// in whatever script and with whatever leading zeros they are written.
func sameNumber(a, b string) bool {
	return asciiDigits(a) == asciiDigits(b)
}

func containsNumber(ids []string, run string) bool {
	for _, id := range ids {
		if sameNumber(run, id) {
			return true
		}
	}
	return false
}

// asciiDigits returns the digit run s in ASCII, without leading zeros.
func asciiDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		v := digitValue(r)
		if v == 0 && b.Len() == 0 {
			continue
		}
		b.WriteByte(byte('0' + v))
	}
	return b.String()
}

// digitValue returns the value of the decimal digit r. Unicode lays out
// each script's digits as runs of ten consecutive code points from zero,
// some runs back to back (the mathematical digits), so the value is the
// distance from the start of the block of digits, modulo ten.
func digitValue(r rune) int {
	z := r
	for z > 0 && unicode.IsDigit(z-1) {
		z--
	}
	return int(r-z) % 10
}
