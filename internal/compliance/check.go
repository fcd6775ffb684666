package compliance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/html"
)

// Check statuses. Only Embedded means a visitor sees the badge; AllShown
// says whether a whole result set is.
const (
	Embedded    = "embedded"    // a visitor sees the badge: a form on the page loads, its CSP allows it, its resources answer
	Missing     = "missing"     // no embed of this campaign on the page
	Blocked     = "blocked"     // embedded, but the page's CSP stops every form found (a CSP change fixes it)
	Broken      = "broken"      // our markup is there but a resource it needs fails or does not match, or it cannot run
	Refused     = "refused"     // not fetched: the address is not public (loopback, private, link-local, …)
	Unreachable = "unreachable" // no answer: DNS, connection, timeout, too many redirects
	HTTPError   = "http_error"  // the homepage answered an error status
)

// Statuses lists every status a Result may have, for filters and labels.
var Statuses = []string{Embedded, Missing, Blocked, Broken, Refused, Unreachable, HTTPError}

// Shown reports whether the result says a visitor sees the badge: the one
// status that counts as compliant for `oabadge check`.
func (r Result) Shown() bool { return r.Status == Embedded }

// AllShown reports whether every result shows the badge (true for none):
// `oabadge check` exits 1 when it is false.
func AllShown(rs []Result) bool {
	for _, r := range rs {
		if !r.Shown() {
			return false
		}
	}
	return true
}

// Result is what a check found for one agency and one campaign. Reason,
// Fix and FixWhere are the checker's own words: nothing a fetched page
// said is copied into them except, in a Fix, the page's own CSP sources,
// checked against CSP syntax.
type Result struct {
	AgencyID int64  `json:"-"`
	Agency   string `json:"agency"`
	Homepage string `json:"homepage"`
	Campaign string `json:"campaign"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	// Fix is what to paste: the whole merged CSP header value, or for
	// NukeViet the lines for its CSP boxes (one source per line).
	Fix string `json:"fix,omitempty"`
	// FixWhere says where to paste Fix, in the terms of the portal's CMS.
	FixWhere string `json:"fix_where,omitempty"`
	// Boxes are NukeViet's CSP boxes to edit, when the portal runs it.
	Boxes []NukeVietBox `json:"nukeviet_boxes,omitempty"`
	// Forms are the forms of this campaign's badge found on the page (the
	// <noscript> fallback of the script form is not one: with JavaScript
	// on, browsers never show it).
	Forms []Form `json:"forms,omitempty"`
	// Findings say, form by form, what a visitor gets and why.
	Findings []Finding `json:"findings,omitempty"`
	// CMS is the portal's CMS, when the page says.
	CMS       CMS       `json:"cms,omitempty"`
	FinalURL  string    `json:"final_url,omitempty"`
	HTTP      int       `json:"http_status,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
	// Rendered is true when the verdict comes from loading the page in
	// Chromium and scanning the badge's code (Checker.Render).
	Rendered bool `json:"rendered,omitempty"`
	// Screenshot is the file name, under Renderer.Dir, of the badge's
	// screenshot from the render check.
	Screenshot string `json:"screenshot,omitempty"`
}

// Finding is the verdict on one form of the badge on a page.
type Finding struct {
	Form Form `json:"form"`
	// Status is Embedded (a visitor sees it), Blocked or Broken.
	Status string `json:"status"`
	// Directive is the CSP directive that blocks it, when Blocked.
	Directive string `json:"directive,omitempty"`
	// Fallback marks the <noscript> image of the script form, which only
	// visitors without JavaScript see; it never makes a page Embedded.
	Fallback bool   `json:"fallback,omitempty"`
	Reason   string `json:"reason"`
}

// Checker fetches agency homepages and decides, for each campaign, whether
// a visitor sees the badge.
type Checker struct {
	// PublicURL is this server's base URL, which embeds point at.
	PublicURL string
	// Concurrency bounds the homepages fetched at once.
	Concurrency int
	// Timeout bounds one fetch (a homepage or a resource it references),
	// redirects and body included.
	Timeout time.Duration
	// MaxBody is how much of a page is read; the rest is not looked at.
	MaxBody int64
	// MaxRedirects bounds the redirects followed.
	MaxRedirects int
	// AllowPrivate lets the checker reach loopback, private, link-local and
	// other non-public addresses (--check-allow-private), and use the
	// HTTP(S)_PROXY of the environment. Off, such an agency is Refused and
	// nothing is fetched from it.
	AllowPrivate bool
	// AllowAddrs are non-public blocks reached all the same, such as an
	// intranet the operator means to check; everything else stays refused.
	AllowAddrs []netip.Prefix
	// Resolver looks up host names; nil is the system's.
	Resolver Resolver
	// Transport, when set, is used instead of the guarded one (fuzzing).
	// It bypasses the address guard: never set it in production.
	Transport http.RoundTripper
	// Render, when set, also loads each page that has our markup in
	// headless Chromium and scans the badge (the --render check).
	Render *Renderer
	// Now is the clock.
	Now func() time.Time
}

// Defaults for a Checker's zero fields.
const (
	DefaultConcurrency  = 16
	DefaultTimeout      = 15 * time.Second
	DefaultMaxBody      = 2 << 20
	DefaultMaxRedirects = 5
)

func (c *Checker) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.MaxRedirects <= 0 {
		c.MaxRedirects = DefaultMaxRedirects
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

var errTooManyRedirects = errors.New("too many redirects")

// guard returns the checker's address guard.
func (c *Checker) guard() *guard {
	return &guard{allowPrivate: c.AllowPrivate, allow: c.AllowAddrs, resolver: c.Resolver, timeout: 5 * time.Second}
}

func (c *Checker) client() *http.Client {
	tr := c.Transport
	if tr == nil {
		t := &http.Transport{
			DialContext:           c.guard().DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: c.Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
		}
		if c.AllowPrivate {
			// A proxy connects on the checker's behalf, where the guard
			// cannot see the address: only when private ones are allowed.
			t.Proxy = http.ProxyFromEnvironment
		}
		tr = t
	}
	return &http.Client{
		Transport: tr,
		Timeout:   c.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > c.MaxRedirects {
				return errTooManyRedirects
			}
			req.Header.Del("Referer")
			return nil
		},
	}
}

// Check checks every agency for every campaign, at most Concurrency pages
// at a time, and returns one Result per agency and campaign, in the order
// of agencies. It stops early when ctx ends.
func (c *Checker) Check(ctx context.Context, agencies []Agency, campaigns []string) []Result {
	c.defaults()
	r := c.newRun()
	out := make([][]Result, len(agencies))
	sem := make(chan struct{}, c.Concurrency)
	var wg sync.WaitGroup
	for i, a := range agencies {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = r.checkOne(ctx, a, campaigns)
		}()
	}
	wg.Wait()
	if c.Render != nil && ctx.Err() == nil {
		c.Render.confirm(ctx, c, agencies, out)
	}
	var all []Result
	for _, rs := range out {
		all = append(all, rs...)
	}
	return all
}

// run is one Check: its client, and the resources of this server that
// pages reference, each fetched once however many pages name it.
type run struct {
	c      *Checker
	client *http.Client
	pub    *url.URL // nil when PublicURL is not a URL
	origin string

	mu  sync.Mutex
	res map[string]*resource
}

func (c *Checker) newRun() *run {
	r := &run{c: c, client: c.client(), res: map[string]*resource{}}
	if u, err := parsePublicURL(c.PublicURL); err == nil {
		r.pub = u
		r.origin = u.Scheme + "://" + u.Host
	} else {
		r.origin = c.PublicURL
		r.pub = &url.URL{Scheme: "https", Host: "public-url.invalid"}
	}
	return r
}

// badge attributes the embed script reads from its element.
type badgeAttrs struct {
	size, theme, layout string
}

// scriptTag is a <script> of this server on the page.
type scriptTag struct {
	src            *url.URL
	pinned         string // the versioned file name (v1-….js), or "" for /embed.js
	integrity      []sriHash
	hasIntegrity   bool
	crossorigin    string
	hasCrossorigin bool
	nonce          string
	notRun         string // why a browser does not run it at all (type, nomodule)
}

// element is a badge element the script renders: the script tag itself or
// a placeholder (data-oabadge).
type badgeElement struct {
	slug     string
	attrs    badgeAttrs
	isScript bool
}

type imgTag struct {
	src      *url.URL
	slug     string
	noscript bool
}

type frameTag struct {
	src  *url.URL
	slug string
}

// Bounds on what one page can make the checker hold and fetch.
const (
	maxScripts  = 8
	maxElements = 16 // per kind and campaign
)

// page is what one fetch learned.
type page struct {
	url       *url.URL
	status    int
	headerCSP []string // Content-Security-Policy header values
	metaCSP   []string // <meta http-equiv> policies in <head>
	policies  []Policy // all of them: a load must pass each
	cms       CMS
	scripts   []scriptTag
	elements  []badgeElement
	imgs      []imgTag
	frames    []frameTag
	truncated bool
}

func (r *run) checkOne(ctx context.Context, a Agency, campaigns []string) []Result {
	now := r.c.Now().UTC()
	mk := func(campaign, status, reason string) Result {
		return Result{AgencyID: a.ID, Agency: a.Name, Homepage: a.Homepage, Campaign: campaign, Status: status, Reason: reason, CheckedAt: now}
	}
	want := map[string]bool{}
	for _, s := range campaigns {
		want[s] = true
	}
	pg, status, reason := r.fetch(ctx, a.Homepage, want)
	var out []Result
	for _, slug := range campaigns {
		if pg == nil {
			out = append(out, mk(slug, status, reason))
			continue
		}
		res := mk(slug, "", "")
		res.FinalURL, res.HTTP, res.CMS = pg.url.String(), pg.status, pg.cms
		if pg.status >= 400 {
			res.Status, res.Reason = HTTPError, fmt.Sprintf("the homepage answered HTTP %d", pg.status)
			out = append(out, res)
			continue
		}
		r.judge(ctx, &res, pg, slug)
		out = append(out, res)
	}
	return out
}

// fetch gets a homepage and parses it; on failure it returns the status
// and the reason, which never quotes what the far end sent.
func (r *run) fetch(ctx context.Context, homepage string, want map[string]bool) (*page, string, string) {
	ctx, cancel := context.WithTimeout(ctx, r.c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, homepage, nil)
	if err != nil {
		return nil, Unreachable, "the homepage is not a valid address"
	}
	req.Header.Set("User-Agent", r.userAgent())
	req.Header.Set("Accept", "text/html")
	resp, err := r.client.Do(req)
	if err != nil {
		status, reason := describe(err, req.URL.String())
		return nil, status, reason
	}
	defer resp.Body.Close()
	pg := &page{url: resp.Request.URL, status: resp.StatusCode}
	for _, v := range resp.Header.Values("Content-Security-Policy") {
		pg.headerCSP = append(pg.headerCSP, v)
		pg.policies = append(pg.policies, ParsePolicies(v)...)
	}
	if resp.StatusCode >= 400 {
		return pg, "", ""
	}
	body := io.LimitReader(resp.Body, r.c.MaxBody+1)
	n, err := r.parse(pg, body, want)
	if err != nil && !errors.Is(err, io.EOF) {
		status, reason := describe(err, req.URL.String())
		return nil, status, reason
	}
	pg.truncated = n > r.c.MaxBody
	return pg, "", ""
}

func (r *run) userAgent() string { return CheckerAgent + " (+" + r.origin + ")" }

// describe turns a fetch error of the request for first (a URL as
// url.URL.String gives it) into a status and a reason a webmaster
// understands. It names kinds of failure only: error texts of the HTTP
// and TLS stacks can quote the far end's bytes (a database's greeting on
// its port), and those must not reach the report.
func describe(err error, first string) (string, string) {
	var re *RefusedError
	if errors.As(err, &re) {
		where := "the homepage's address is"
		var ue *url.Error
		if errors.As(err, &ue) && ue.URL != first {
			where = "the homepage redirects to an address that is"
		} else if _, isAddr, _ := parseHostAddr(re.Host); !isAddr {
			where = "the homepage's host resolves to"
		}
		return Refused, "not fetched: " + where + " " + re.Why +
			"; the checker reaches only public addresses (an operator can allow private ones with --check-allow-private)"
	}
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var unknownAuth x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var recHdr tls.RecordHeaderError
	var ne net.Error
	switch {
	case errors.Is(err, errTooManyRedirects):
		return Unreachable, "too many redirects (a redirect loop?)"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Unreachable, "no answer in time"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return Unreachable, "the host name does not resolve (no such domain)"
		}
		return Unreachable, "the host name could not be resolved"
	case errors.Is(err, syscall.ECONNREFUSED):
		return Unreachable, "the connection was refused"
	case errors.Is(err, syscall.ECONNRESET):
		return Unreachable, "the connection was reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return Unreachable, "no route to the host"
	case errors.As(err, &hostErr):
		return Unreachable, "its TLS certificate is for another name"
	case errors.As(err, &unknownAuth):
		return Unreachable, "its TLS certificate is not signed by a known authority"
	case errors.As(err, &invalid):
		return Unreachable, "its TLS certificate is not valid (expired?)"
	case errors.As(err, &cert):
		return Unreachable, "its TLS certificate is not valid"
	case errors.As(err, &recHdr):
		return Unreachable, "the server does not speak TLS on that port"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return Unreachable, "the connection closed before a full answer"
	case strings.Contains(err.Error(), "malformed HTTP"):
		return Unreachable, "the server did not answer in HTTP"
	case strings.Contains(err.Error(), "unsupported protocol scheme"):
		return Unreachable, "the homepage is not an http(s) address"
	}
	return Unreachable, "the homepage could not be fetched"
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// headElements may stand in <head>; any other start tag opens the body,
// as the HTML parser's "in head" mode has it.
var headElements = map[string]bool{
	"html": true, "head": true, "base": true, "basefont": true, "bgsound": true, "link": true,
	"meta": true, "noframes": true, "script": true, "style": true, "template": true, "title": true, "noscript": true,
}

// interesting are the elements whose attributes the parser reads; of any
// other only data-oabadge and the badge's data attributes are looked at.
var interesting = map[string]bool{
	"script": true, "img": true, "iframe": true, "meta": true, "base": true, "link": true,
	"noscript": true, "template": true,
}

// rawText elements hold text the tokenizer hands over whole.
var rawText = map[string]bool{
	"script": true, "style": true, "title": true, "textarea": true, "noscript": true,
	"iframe": true, "noembed": true, "noframes": true, "xmp": true, "plaintext": true,
}

// knownTags interns the tag names the parser tells apart.
var knownTags = func() map[string]string {
	m := map[string]string{}
	for _, set := range []map[string]bool{headElements, interesting, rawText} {
		for k := range set {
			m[k] = k
		}
	}
	return m
}()

// parse tokenizes the page (it does not grep it): this server's scripts,
// badge placeholders, images and iframes, <base href>, the generator tag,
// and CSP meta tags in <head> (browsers ignore them elsewhere). Markup in
// <noscript> is looked at for the script form's fallback image only: with
// JavaScript on, browsers parse it as text. <template> content is inert.
func (r *run) parse(pg *page, rd io.Reader, want map[string]bool) (int64, error) {
	cr := &countingReader{r: io.LimitReader(rd, r.c.MaxBody)}
	base := pg.url
	pub := r.pub
	inHead := true
	template := 0
	var walk func(z *html.Tokenizer, noscript bool) error
	walk = func(z *html.Tokenizer, noscript bool) error {
		inNoscript, prevRaw := false, false
		for {
			tt := z.Next()
			wasRaw := prevRaw
			prevRaw = false
			switch tt {
			case html.ErrorToken:
				return z.Err()
			case html.TextToken:
				if inNoscript && !noscript && template == 0 {
					if err := walk(html.NewTokenizer(strings.NewReader(string(z.Text()))), true); err != nil && !errors.Is(err, io.EOF) {
						return err
					}
				}
				if inHead && !wasRaw && !noscript && len(bytes.TrimSpace(z.Raw())) > 0 {
					inHead = false
				}
			case html.EndTagToken:
				name, _ := z.TagName()
				switch string(name) {
				case "noscript":
					inNoscript = false
				case "head":
					if !noscript {
						inHead = false
					}
				case "template":
					if template > 0 {
						template--
					}
				}
			case html.StartTagToken, html.SelfClosingTagToken:
				nameB, hasAttr := z.TagName()
				name := knownTags[string(nameB)] // "" for the rest, without a copy
				prevRaw = tt == html.StartTagToken && rawText[name]
				if !noscript && !headElements[name] {
					inHead = false
				}
				if !interesting[name] {
					// Most tags matter only if they are a badge placeholder:
					// look for data-oabadge without copying anything else.
					var slug string
					var ba badgeAttrs
					found := false
					for hasAttr {
						var k, v []byte
						k, v, hasAttr = z.TagAttr()
						if len(k) < 9 || string(k[:5]) != "data-" {
							continue
						}
						switch string(k) {
						case "data-oabadge":
							if !found {
								slug, found = string(v), true
							}
						case "data-size":
							ba.size = string(v)
						case "data-theme":
							ba.theme = string(v)
						case "data-layout":
							ba.layout = string(v)
						}
					}
					if found && !noscript && template == 0 && want[slug] {
						pg.addElement(badgeElement{slug: slug, attrs: ba})
					}
					continue
				}
				attrs := map[string]string{}
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if _, dup := attrs[string(k)]; !dup && len(attrs) < 64 {
						attrs[string(k)] = string(v)
					}
				}
				if name == "template" && tt == html.StartTagToken {
					template++
				}
				if template > 0 {
					continue
				}
				if pg.cms == CMSUnknown {
					if name == "meta" && strings.EqualFold(attrs["name"], "generator") {
						pg.cms = cmsFromGenerator(attrs["content"])
					} else if name == "script" && attrs["src"] != "" {
						pg.cms = cmsFromPath(resolve(base, attrs["src"]))
					} else if name == "link" && attrs["href"] != "" {
						pg.cms = cmsFromPath(resolve(base, attrs["href"]))
					}
				}
				if noscript {
					if name == "img" {
						if slug, ok := slugUnder(resolve(base, attrs["src"]), pub, "/b/", true); ok && want[slug] {
							pg.addImg(imgTag{resolve(base, attrs["src"]), slug, true})
						}
					}
					continue
				}
				if slug, ok := attrs["data-oabadge"]; ok && name != "script" && want[slug] {
					pg.addElement(badgeElement{slug: slug, attrs: badgeAttrsOf(attrs)})
				}
				switch name {
				case "noscript":
					inNoscript = tt == html.StartTagToken
				case "base":
					if u, err := base.Parse(strings.TrimSpace(attrs["href"])); err == nil && attrs["href"] != "" {
						base = u
					}
				case "meta":
					if inHead && strings.EqualFold(strings.TrimSpace(attrs["http-equiv"]), "content-security-policy") {
						pg.metaCSP = append(pg.metaCSP, attrs["content"])
						for _, p := range ParsePolicies(attrs["content"]) {
							// A policy in <meta> cannot sandbox the page.
							delete(p, "sandbox")
							if len(p) > 0 {
								pg.policies = append(pg.policies, p)
							}
						}
					}
				case "script":
					u := resolve(base, attrs["src"])
					pinned, ours := embedScript(u, pub)
					if !ours {
						continue
					}
					if len(pg.scripts) < maxScripts {
						_, hasI := attrs["integrity"]
						co, hasCO := attrs["crossorigin"]
						pg.scripts = append(pg.scripts, scriptTag{
							src: u, pinned: pinned, integrity: parseIntegrity(attrs["integrity"]), hasIntegrity: hasI,
							crossorigin: strings.ToLower(strings.TrimSpace(co)), hasCrossorigin: hasCO,
							nonce: attrs["nonce"], notRun: scriptNotRun(attrs),
						})
					}
					if slug := attrs["data-oabadge"]; want[slug] {
						pg.addElement(badgeElement{slug: slug, attrs: badgeAttrsOf(attrs), isScript: true})
					}
				case "img":
					if slug, ok := slugUnder(resolve(base, attrs["src"]), pub, "/b/", true); ok && want[slug] {
						pg.addImg(imgTag{resolve(base, attrs["src"]), slug, false})
					}
				case "iframe":
					if slug, ok := slugUnder(resolve(base, attrs["src"]), pub, "/e/", false); ok && want[slug] {
						pg.addFrame(frameTag{resolve(base, attrs["src"]), slug})
					}
				}
			}
		}
	}
	err := walk(html.NewTokenizer(cr), false)
	return cr.n + extra(rd), err
}

func (pg *page) addElement(e badgeElement) {
	if pg.count(e.slug, "el") < maxElements {
		pg.elements = append(pg.elements, e)
	}
}

func (pg *page) addImg(i imgTag) {
	if pg.count(i.slug, "img") < maxElements {
		pg.imgs = append(pg.imgs, i)
	}
}

func (pg *page) addFrame(f frameTag) {
	if pg.count(f.slug, "frame") < maxElements {
		pg.frames = append(pg.frames, f)
	}
}

func (pg *page) count(slug, kind string) int {
	n := 0
	switch kind {
	case "el":
		for _, e := range pg.elements {
			if e.slug == slug {
				n++
			}
		}
	case "img":
		for _, e := range pg.imgs {
			if e.slug == slug {
				n++
			}
		}
	case "frame":
		for _, e := range pg.frames {
			if e.slug == slug {
				n++
			}
		}
	}
	return n
}

func badgeAttrsOf(attrs map[string]string) badgeAttrs {
	return badgeAttrs{size: attrs["data-size"], theme: attrs["data-theme"], layout: attrs["data-layout"]}
}

// scriptNotRun says why a browser would not run a script tag at all,
// whatever the policy: a type that is not JavaScript (consent managers
// set text/plain until the visitor agrees), or nomodule.
func scriptNotRun(attrs map[string]string) string {
	if _, ok := attrs["nomodule"]; ok {
		return "it has the nomodule attribute, so current browsers skip it"
	}
	t, ok := attrs["type"]
	if !ok {
		return ""
	}
	t = strings.ToLower(strings.TrimSpace(t))
	if mt, _, _ := strings.Cut(t, ";"); t == "" || mt == "module" || jsMIME(strings.TrimSpace(mt)) {
		return ""
	}
	return "its type attribute is not JavaScript, so browsers do not run it (a consent manager may hold it back)"
}

// jsMIME reports whether t is a JavaScript MIME type.
func jsMIME(t string) bool {
	switch t {
	case "text/javascript", "application/javascript", "application/x-javascript", "application/ecmascript",
		"text/ecmascript", "text/x-javascript", "text/jscript", "text/livescript", "text/x-ecmascript", "application/x-ecmascript":
		return true
	}
	return false
}

// extra reports whether bytes remain past the limit (1 if so).
func extra(r io.Reader) int64 {
	var b [1]byte
	if n, _ := r.Read(b[:]); n > 0 {
		return 1
	}
	return 0
}

func resolve(base *url.URL, ref string) *url.URL {
	if ref == "" {
		return nil
	}
	u, err := base.Parse(strings.TrimSpace(ref))
	if err != nil {
		return nil
	}
	return u
}

func sameOrigin(u, pub *url.URL) bool {
	return u != nil && strings.EqualFold(u.Scheme, pub.Scheme) && strings.EqualFold(u.Host, pub.Host)
}

// embedScript reports whether u is this server's embed script, and the
// versioned file's name when it is one (v1-0a1b2c3d4e.js).
func embedScript(u, pub *url.URL) (string, bool) {
	if !sameOrigin(u, pub) {
		return "", false
	}
	p := strings.TrimPrefix(u.Path, strings.TrimSuffix(pub.Path, "/"))
	if p == "/embed.js" {
		return "", true
	}
	if name, ok := strings.CutPrefix(p, "/embed/"); ok && strings.HasPrefix(name, "v") && strings.HasSuffix(name, ".js") && !strings.Contains(name, "/") {
		return name, true
	}
	return "", false
}

// slugUnder returns the campaign slug of an image (/b/SLUG.svg or .png) or
// iframe (/e/SLUG) URL of this server.
func slugUnder(u, pub *url.URL, prefix string, image bool) (string, bool) {
	if !sameOrigin(u, pub) {
		return "", false
	}
	rest, ok := strings.CutPrefix(strings.TrimPrefix(u.Path, strings.TrimSuffix(pub.Path, "/")), prefix)
	if !ok || rest == "" {
		return "", false
	}
	if image {
		slug, ext, ok := strings.Cut(rest, ".")
		if !ok || (ext != "svg" && ext != "png") {
			return "", false
		}
		return slug, true
	}
	return rest, !strings.Contains(rest, "/")
}
