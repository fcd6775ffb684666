package compliance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// A page counts as Embedded only if a visitor sees the badge, which is
// judged form by form with the page's effective policy (header and <meta>,
// default-src fallback, nonces, hashes, 'strict-dynamic') and with the
// resources the form loads actually answering:
//
//   - the script form: a script of this server runs (its policy, its type,
//     the file answering as JavaScript, its integrity value matching the
//     bytes, CORS for integrity), and then the image it builds loads
//     (img-src, the image answering);
//   - the image form: img-src, and the image answering as an image;
//   - the iframe: frame-src (or child-src, default-src), and the frame
//     page answering and letting itself be framed.
//
// The <noscript> image of the script form is shown only to visitors
// without JavaScript: where the script cannot run, they still see nothing.

// resource is one of this server's URLs as fetched by the checker.
type resource struct {
	done     chan struct{}
	failure  string // could not fetch: why, in the checker's words
	status   int
	ctype    string
	acao     string
	framing  string // why the frame page refuses to be framed, or ""
	sums     map[string][]byte
	tooLarge bool
}

// Limits on what a resource fetch reads.
const (
	maxScript   = 1 << 20
	maxResource = 4 << 20
)

// fetchResource fetches u once per run, whoever asks.
func (r *run) fetchResource(ctx context.Context, u *url.URL, hash bool) *resource {
	key := u.String()
	r.mu.Lock()
	res, ok := r.res[key]
	if !ok {
		res = &resource{done: make(chan struct{})}
		r.res[key] = res
	}
	r.mu.Unlock()
	if ok {
		select {
		case <-res.done:
		case <-ctx.Done():
			return &resource{failure: "no answer in time"}
		}
		return res
	}
	defer close(res.done)
	ctx, cancel := context.WithTimeout(ctx, r.c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, key, nil)
	if err != nil {
		res.failure = "it is not a valid address"
		return res
	}
	// No Referer and no Origin: this server would count the fetch as an
	// impression from the portal, and the report would believe it.
	req.Header.Set("User-Agent", r.userAgent())
	resp, err := r.client.Do(req)
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			res.failure = "this server's address is " + re.Why + ", which the checker does not reach (--check-allow-private)"
		} else {
			_, res.failure = describe(err, key)
		}
		return res
	}
	defer resp.Body.Close()
	res.status = resp.StatusCode
	res.ctype, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	res.acao = strings.TrimSpace(resp.Header.Get("Access-Control-Allow-Origin"))
	res.framing = framingRefused(resp.Header)
	limit := int64(maxResource)
	if hash {
		limit = maxScript
	}
	if !hash {
		n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, limit+1))
		res.tooLarge = n > limit
		return res
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		_, res.failure = describe(err, key)
		return res
	}
	if int64(len(body)) > limit {
		res.tooLarge = true
		return res
	}
	s256, s384, s512 := sha256.Sum256(body), sha512.Sum384(body), sha512.Sum512(body)
	res.sums = map[string][]byte{"sha256": s256[:], "sha384": s384[:], "sha512": s512[:]}
	return res
}

// framingRefused says why a frame page would not show inside a portal:
// X-Frame-Options, or a frame-ancestors directive that does not allow
// every site.
func framingRefused(h http.Header) string {
	if xfo := strings.ToLower(strings.TrimSpace(h.Get("X-Frame-Options"))); xfo == "deny" || xfo == "sameorigin" {
		return "the frame page forbids framing (X-Frame-Options)"
	}
	for _, v := range h.Values("Content-Security-Policy") {
		for _, p := range ParsePolicies(v) {
			if srcs, ok := p["frame-ancestors"]; ok && !hasKeyword(srcs, "*") && !hasKeyword(srcs, "https:") {
				return "the frame page forbids framing (frame-ancestors)"
			}
		}
	}
	return ""
}

// pinnedName matches the versioned script names this server hands out; a
// name is repeated in a reason only when it is one of those.
var pinnedName = regexp.MustCompile(`^v[0-9]{1,4}-[0-9a-f]{6,64}\.js$`)

func (s scriptTag) what() string {
	if s.pinned != "" {
		if pinnedName.MatchString(s.pinned) {
			return "the pinned script " + s.pinned
		}
		return "the pinned script"
	}
	return "the script /embed.js"
}

// verdict is what a visitor gets from one thing on the page.
type verdict struct {
	status    string // Embedded, Blocked or Broken
	directive string // the blocking directive, when Blocked
	reason    string
}

// blockedBy returns the first directive of pg's policies that stops the
// load, or "".
func (pg *page) blockedBy(f Form, target *url.URL, el element) string {
	for _, p := range pg.policies {
		if d, blocked := p.blocks(f, target, pg.url, el); blocked {
			return d
		}
	}
	return ""
}

// scriptsOff reports whether the page's policy sandboxes it without
// allow-scripts: no script runs and <noscript> content shows.
func (pg *page) scriptsOff() bool {
	for _, p := range pg.policies {
		if flags, ok := p["sandbox"]; ok && !hasToken(flags, "allow-scripts") {
			return true
		}
	}
	return false
}

// mixed says whether a page served over https would load u over http,
// which browsers block for scripts and frames and do not trust for images.
func (pg *page) mixed(u *url.URL) bool {
	return pg.url.Scheme == "https" && u.Scheme == "http"
}

// scriptVerdict judges whether a browser runs s on pg.
func (r *run) scriptVerdict(ctx context.Context, pg *page, s scriptTag) verdict {
	what := s.what()
	if s.notRun != "" {
		return verdict{Broken, "", what + " does not run: " + s.notRun}
	}
	if pg.mixed(s.src) {
		return verdict{Broken, "", what + " is http:// on an https:// page, which browsers block as mixed content: use the https:// snippet"}
	}
	if d := pg.blockedBy(FormScript, s.src, element{nonce: s.nonce, integrity: s.integrity}); d != "" {
		if d == "sandbox" {
			return verdict{Blocked, d, what + " is blocked: the page's CSP sandbox does not allow scripts"}
		}
		return verdict{Blocked, d, what + " is blocked by the page's CSP (" + d + ")"}
	}
	cors := len(s.integrity) > 0 || s.hasCrossorigin
	if len(s.integrity) > 0 && !s.hasCrossorigin && !sameOrigin(pg.url, s.src) {
		return verdict{Broken, "", what + " has an integrity value but no crossorigin=\"anonymous\", so browsers cannot check it and refuse it: re-copy the snippet"}
	}
	if s.crossorigin == "use-credentials" {
		return verdict{Broken, "", what + " has crossorigin=\"use-credentials\", which this server's script does not allow: re-copy the snippet"}
	}
	res := r.fetchResource(ctx, s.src, true)
	switch {
	case res.failure != "":
		return verdict{Broken, "", what + " does not load: " + res.failure}
	case res.status != http.StatusOK:
		fix := "re-copy the snippet"
		return verdict{Broken, "", fmt.Sprintf("%s answers %d: %s", what, res.status, fix)}
	case !jsMIME(res.ctype):
		return verdict{Broken, "", what + " is not served as JavaScript, so browsers do not run it"}
	case res.tooLarge:
		return verdict{Broken, "", what + " is larger than this server's script can be"}
	case cors && res.acao != "*" && !strings.EqualFold(res.acao, originString(pg.url)):
		return verdict{Broken, "", what + " is loaded with CORS (crossorigin or integrity) but its answer does not allow the portal (Access-Control-Allow-Origin)"}
	}
	if len(s.integrity) > 0 && !integrityMatches(s.integrity, res.sums) {
		return verdict{Broken, "", what + "'s integrity value does not match the script this server serves, so browsers refuse it: re-copy the snippet"}
	}
	return verdict{Embedded, "", what + " runs"}
}

// integrityMatches applies Subresource Integrity: of the hashes given, the
// strongest algorithm's count, and one of them must match.
func integrityMatches(meta []sriHash, sums map[string][]byte) bool {
	rank := map[string]int{"sha256": 1, "sha384": 2, "sha512": 3}
	best := ""
	for _, h := range meta {
		if rank[h.alg] > rank[best] {
			best = h.alg
		}
	}
	for _, h := range meta {
		if h.alg == best && bytes.Equal(h.sum, sums[best]) {
			return true
		}
	}
	return false
}

func originString(u *url.URL) string { return u.Scheme + "://" + u.Host }

// scriptImageURL is the image URL the embed script builds for an element,
// following embed.js: sizes and names outside its lists fall back to its
// defaults, a card is at least 256 wide, and "auto" loads the light theme
// (dark-mode visitors get the dark one through <picture>).
func (r *run) scriptImageURL(slug string, a badgeAttrs) *url.URL {
	size := "192"
	if slices.Contains([]string{"128", "192", "256", "384", "512", "1024"}, a.size) {
		size = a.size
	}
	layout := "badge"
	if slices.Contains([]string{"badge", "qr", "card"}, a.layout) {
		layout = a.layout
	}
	if layout == "card" && (size == "128" || size == "192") {
		size = "256"
	}
	theme := "light"
	if slices.Contains([]string{"light", "dark", "mono"}, a.theme) {
		theme = a.theme
	}
	u := under(r.pub, "/b/"+slug+".svg")
	u.RawQuery = "size=" + size + "&theme=" + theme + "&layout=" + layout
	return u
}

// scriptSlug is the pattern embed.js accepts for data-oabadge.
var scriptSlug = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// imageVerdict judges whether an image of this server shows on pg.
func (r *run) imageVerdict(ctx context.Context, pg *page, u *url.URL, what string) verdict {
	if pg.mixed(u) {
		return verdict{Broken, "", what + " is http:// on an https:// page, which browsers block or upgrade: use the https:// snippet"}
	}
	if d := pg.blockedBy(FormImage, u, element{}); d != "" {
		return verdict{Blocked, d, what + " is blocked by the page's CSP (" + d + ")"}
	}
	res := r.fetchResource(ctx, u, false)
	switch {
	case res.failure != "":
		return verdict{Broken, "", what + " does not load: " + res.failure}
	case res.status != http.StatusOK:
		hint := "re-copy the snippet"
		if res.status == http.StatusNotFound {
			hint = "is the campaign's slug right? re-copy the snippet"
		}
		return verdict{Broken, "", fmt.Sprintf("%s answers %d: %s", what, res.status, hint)}
	case !strings.HasPrefix(res.ctype, "image/"):
		return verdict{Broken, "", what + " is not served as an image"}
	case res.tooLarge:
		return verdict{Broken, "", what + " is larger than a badge can be"}
	}
	return verdict{Embedded, "", what + " loads"}
}

// frameVerdict judges whether an iframe of this server shows on pg.
func (r *run) frameVerdict(ctx context.Context, pg *page, f frameTag) verdict {
	if pg.mixed(f.src) {
		return verdict{Broken, "", "the iframe is http:// on an https:// page, which browsers block as mixed content: use the https:// snippet"}
	}
	if d := pg.blockedBy(FormFrame, f.src, element{}); d != "" {
		return verdict{Blocked, d, "the iframe is blocked by the page's CSP (" + d + ")"}
	}
	res := r.fetchResource(ctx, f.src, false)
	switch {
	case res.failure != "":
		return verdict{Broken, "", "the iframe's page does not load: " + res.failure}
	case res.status != http.StatusOK:
		return verdict{Broken, "", fmt.Sprintf("the iframe's page answers %d: re-copy the snippet", res.status)}
	case res.ctype != "text/html":
		return verdict{Broken, "", "the iframe's page is not served as HTML"}
	case res.framing != "":
		return verdict{Broken, "", res.framing}
	}
	return verdict{Embedded, "", "the iframe shows the badge"}
}

// judge decides res's status from what pg holds for slug.
func (r *run) judge(ctx context.Context, res *Result, pg *page, slug string) {
	var findings []Finding
	add := func(f Form, v verdict, fallback bool) {
		findings = append(findings, Finding{Form: f, Status: v.status, Directive: v.directive, Fallback: fallback, Reason: v.reason})
	}

	// The script form: an element for slug, rendered if some script runs.
	var elems []badgeElement
	for _, e := range pg.elements {
		if e.slug == slug {
			elems = append(elems, e)
		}
	}
	if len(elems) > 0 {
		add(FormScript, r.scriptFormVerdict(ctx, pg, slug, elems), false)
	}
	for _, im := range pg.imgs {
		if im.slug == slug && !im.noscript {
			add(FormImage, r.imageVerdict(ctx, pg, im.src, "the image"), false)
		}
	}
	for _, f := range pg.frames {
		if f.slug == slug {
			add(FormFrame, r.frameVerdict(ctx, pg, f), false)
		}
	}
	// Where the page's policy turns scripts off (a sandbox without
	// allow-scripts), browsers render <noscript>: its image is what
	// every visitor sees.
	scriptsOff := pg.scriptsOff()
	for _, im := range pg.imgs {
		if im.slug == slug && im.noscript {
			v := r.imageVerdict(ctx, pg, im.src, "the <noscript> image")
			if scriptsOff {
				v.reason += " (the page's CSP sandbox turns scripts off, so browsers show <noscript>)"
			} else {
				v.reason += " (for visitors without JavaScript only)"
			}
			add(FormImage, v, !scriptsOff)
		}
	}
	res.Findings = findings
	for _, f := range findings {
		if !f.Fallback && !slices.Contains(res.Forms, f.Form) {
			res.Forms = append(res.Forms, f.Form)
		}
	}

	// A visitor sees the badge if any visible form shows it.
	for _, f := range findings {
		if !f.Fallback && f.Status == Embedded {
			res.Status, res.Reason = Embedded, "the "+string(f.Form)+" form shows the badge: "+f.Reason
			return
		}
	}
	switch {
	case len(findings) == 0:
		res.Status, res.Reason = Missing, "no script, image or iframe of this campaign from "+r.origin+" on the page"
		if pg.truncated {
			res.Reason += fmt.Sprintf(" (only the first %d KiB were read)", r.c.MaxBody>>10)
		}
		if r.advise(res, pg, FormImage) {
			res.Reason += "; its CSP would also block the image snippet"
		}
		if pg.cms == NukeViet {
			res.FixWhere = strings.TrimSpace(res.FixWhere + " NukeViet removes <script> from blocks and articles: paste the image snippet (the <a><img> form).")
		}
		return
	case len(res.Forms) == 0:
		// Only the <noscript> fallback: the script tag was removed.
		res.Status = Broken
		res.Reason = "only the <noscript> fallback of the script snippet is on the page, and browsers with JavaScript on never show it: " +
			"the <script> tag is gone (NukeViet and WordPress remove scripts from blocks and posts); paste the image snippet instead"
		r.advise(res, pg, FormImage)
		return
	}
	var reasons []string
	fixable := Form("")
	for _, f := range findings {
		if f.Fallback {
			continue
		}
		reasons = append(reasons, f.Reason)
		if f.Status == Blocked && fixable == "" {
			fixable = f.Form
		}
	}
	res.Reason = strings.Join(reasons, "; ")
	if fixable == "" {
		res.Status = Broken
		return
	}
	res.Status = Blocked
	if !r.advise(res, pg, fixable) && fixable == FormScript {
		// No source added lets the script in ('strict-dynamic', sandbox):
		// the image snippet is the way.
		if r.advise(res, pg, FormImage) {
			res.FixWhere = "The script cannot be allowed by a source ('strict-dynamic' or a sandbox): paste the image snippet, and " + lowerFirst(res.FixWhere)
		} else {
			res.FixWhere = "The script cannot be allowed by a source ('strict-dynamic' or a sandbox): paste the image snippet instead."
		}
	}
}

// scriptFormVerdict judges the script form for slug's elements: a script
// of this server must run, and then the image it builds must load.
func (r *run) scriptFormVerdict(ctx context.Context, pg *page, slug string, elems []badgeElement) verdict {
	if !scriptSlug.MatchString(slug) {
		return verdict{Broken, "", "the script form's data-oabadge is not a campaign name the script accepts"}
	}
	if len(pg.scripts) == 0 {
		return verdict{Broken, "", "the badge's placeholder is there but no script of this server is (the <script> tag was removed?): paste the whole snippet, or the image snippet"}
	}
	var first verdict
	runs := false
	for i, s := range pg.scripts {
		v := r.scriptVerdict(ctx, pg, s)
		if v.status == Embedded {
			runs = true
			break
		}
		if i == 0 || first.status != Blocked && v.status == Blocked {
			first = v
		}
	}
	if !runs {
		return first
	}
	var best verdict
	for i, e := range elems {
		v := r.imageVerdict(ctx, pg, r.scriptImageURL(slug, e.attrs), "the script runs but the image it loads")
		if v.status == Embedded {
			return verdict{Embedded, "", "the script runs and its image loads"}
		}
		if i == 0 {
			best = v
		}
	}
	return best
}

// advise sets res's Fix, FixWhere and Boxes for the policy change that
// lets form in, from the page's header and <meta> policies. It reports
// whether there is such a change.
func (r *run) advise(res *Result, pg *page, form Form) bool {
	var fixes, wheres []string
	var boxes []NukeVietBox
	if len(pg.headerCSP) > 0 {
		a, err := AdviseCSP(strings.Join(pg.headerCSP, ", "), r.c.PublicURL, form, pg.cms)
		if err != nil {
			return false
		}
		if len(a.Changes) > 0 {
			fixes, wheres, boxes = append(fixes, a.Fix), append(wheres, a.Where), a.Boxes
		}
	}
	if len(pg.metaCSP) > 0 {
		a, err := AdviseCSP(strings.Join(pg.metaCSP, ", "), r.c.PublicURL, form, CMSUnknown)
		if err != nil {
			return false
		}
		if len(a.Changes) > 0 {
			where := "The page's policy is in a <meta http-equiv=\"Content-Security-Policy\"> tag in its <head> (the theme's template): replace its content with the value above."
			if len(fixes) > 0 {
				where = "The page also has a policy in a <meta http-equiv=\"Content-Security-Policy\"> tag in its <head> (the theme's template): replace its content with the last line above."
			}
			fixes, wheres = append(fixes, a.Header), append(wheres, where)
		}
	}
	if len(fixes) == 0 {
		return false
	}
	res.Fix, res.FixWhere, res.Boxes = strings.Join(fixes, "\n"), strings.Join(wheres, " "), boxes
	return true
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
