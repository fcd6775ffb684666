package compliance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/html"
)

// Check statuses.
const (
	Embedded    = "embedded"    // the badge is on the page and its CSP lets it load
	Missing     = "missing"     // no embed of this campaign on the page
	Blocked     = "blocked"     // embedded, but the page's CSP stops every form found
	Unreachable = "unreachable" // no answer: DNS, connection, timeout, too many redirects
	HTTPError   = "http_error"  // the homepage answered an error status
)

// Result is what a check found for one agency and one campaign.
type Result struct {
	AgencyID  int64     `json:"-"`
	Agency    string    `json:"agency"`
	Homepage  string    `json:"homepage"`
	Campaign  string    `json:"campaign"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason"`
	Fix       string    `json:"fix,omitempty"`
	Forms     []Form    `json:"forms,omitempty"`
	FinalURL  string    `json:"final_url,omitempty"`
	HTTP      int       `json:"http_status,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// Checker fetches agency homepages and decides, for each campaign, whether
// the badge is embedded and whether the page's CSP lets it load.
type Checker struct {
	// PublicURL is this server's base URL, which embeds point at.
	PublicURL string
	// Concurrency bounds the homepages fetched at once.
	Concurrency int
	// Timeout bounds one homepage fetch, redirects and body included.
	Timeout time.Duration
	// MaxBody is how much of a page is read; the rest is not looked at.
	MaxBody int64
	// MaxRedirects bounds the redirects followed.
	MaxRedirects int
	// Transport, when set, is used instead of a default one (tests).
	Transport http.RoundTripper
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

func (c *Checker) client() *http.Client {
	tr := c.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: c.Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
		}
	}
	return &http.Client{
		Transport: tr,
		Timeout:   c.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > c.MaxRedirects {
				return errTooManyRedirects
			}
			return nil
		},
	}
}

// Check checks every agency for every campaign, at most Concurrency pages
// at a time, and returns one Result per agency and campaign, in the order
// of agencies. It stops early when ctx ends.
func (c *Checker) Check(ctx context.Context, agencies []Agency, campaigns []string) []Result {
	c.defaults()
	client := c.client()
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
			out[i] = c.checkOne(ctx, client, a, campaigns)
		}()
	}
	wg.Wait()
	var all []Result
	for _, rs := range out {
		all = append(all, rs...)
	}
	return all
}

// page is what one fetch learned.
type page struct {
	url       *url.URL
	status    int
	policies  []Policy
	found     map[string][]Form // campaign → forms found
	truncated bool
}

func (c *Checker) checkOne(ctx context.Context, client *http.Client, a Agency, campaigns []string) []Result {
	now := c.Now().UTC()
	mk := func(campaign, status, reason string) Result {
		return Result{AgencyID: a.ID, Agency: a.Name, Homepage: a.Homepage, Campaign: campaign, Status: status, Reason: reason, CheckedAt: now}
	}
	pg, err := c.fetch(ctx, client, a.Homepage)
	var out []Result
	for _, slug := range campaigns {
		if err != nil {
			out = append(out, mk(slug, Unreachable, err.Error()))
			continue
		}
		r := mk(slug, "", "")
		r.FinalURL, r.HTTP = pg.url.String(), pg.status
		if pg.status >= 400 {
			r.Status, r.Reason = HTTPError, fmt.Sprintf("the homepage answered HTTP %d", pg.status)
			out = append(out, r)
			continue
		}
		c.judge(&r, pg, slug)
		out = append(out, r)
	}
	return out
}

// judge decides r's status from what the page holds for slug.
func (c *Checker) judge(r *Result, pg *page, slug string) {
	forms := pg.found[slug]
	r.Forms = forms
	origin := originOf(c.PublicURL)
	targets := map[Form]*url.URL{}
	base, _ := url.Parse(c.PublicURL)
	for f, p := range map[Form]string{FormImage: "/b/" + slug + ".svg", FormScript: "/embed.js", FormFrame: "/e/" + slug} {
		targets[f] = base.JoinPath(p)
	}
	blockedBy := func(f Form) (Policy, string, bool) {
		for _, p := range pg.policies {
			if d, blocked := p.Blocked(f, targets[f], pg.url); blocked {
				return p, d, true
			}
		}
		return nil, "", false
	}
	if len(forms) == 0 {
		r.Status, r.Reason = Missing, "no script, image or iframe of this campaign from "+origin+" on the page"
		if pg.truncated {
			r.Reason += fmt.Sprintf(" (only the first %d KiB were read)", c.MaxBody>>10)
		}
		if p, d, blocked := blockedBy(FormImage); blocked {
			r.Reason += "; its CSP (" + d + ") would also block the image"
			r.Fix = p.FixLine(FormImage, origin)
		}
		return
	}
	var reasons, fixes []string
	for _, f := range forms {
		p, d, blocked := blockedBy(f)
		if !blocked {
			r.Status, r.Reason, r.Fix = Embedded, "the "+string(f)+" form is on the page and its CSP allows it", ""
			return
		}
		reasons = append(reasons, fmt.Sprintf("the %s form is blocked by %s", f, d))
		if f == FormScript && hasStrictDynamic(p) {
			fixes = append(fixes, "script-src has 'strict-dynamic', which ignores host sources: use the image or iframe snippet, or give the script tag the page's nonce")
		} else {
			fixes = append(fixes, p.FixLine(f, origin))
		}
	}
	r.Status, r.Reason, r.Fix = Blocked, strings.Join(reasons, "; "), strings.Join(fixes, "\n")
}

func hasStrictDynamic(p Policy) bool {
	_, srcs, _ := p.directive(FormScript)
	for _, s := range srcs {
		if strings.EqualFold(s, "'strict-dynamic'") {
			return true
		}
	}
	return false
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// fetch gets a homepage and parses it.
func (c *Checker) fetch(ctx context.Context, client *http.Client, homepage string) (*page, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, homepage, nil)
	if err != nil {
		return nil, fmt.Errorf("bad homepage address: %v", err)
	}
	req.Header.Set("User-Agent", "oabadge-checker (+"+c.PublicURL+")")
	req.Header.Set("Accept", "text/html")
	resp, err := client.Do(req)
	if err != nil {
		return nil, describe(err)
	}
	defer resp.Body.Close()
	pg := &page{url: resp.Request.URL, status: resp.StatusCode, found: map[string][]Form{}}
	for _, v := range resp.Header.Values("Content-Security-Policy") {
		pg.policies = append(pg.policies, ParsePolicies(v)...)
	}
	if resp.StatusCode >= 400 {
		return pg, nil
	}
	body := io.LimitReader(resp.Body, c.MaxBody+1)
	n, err := c.parse(pg, body)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, describe(err)
	}
	pg.truncated = n > c.MaxBody
	return pg, nil
}

// describe turns a fetch error into a reason a webmaster understands.
func describe(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, errTooManyRedirects):
		return errors.New("too many redirects (a redirect loop?)")
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return errors.New("no answer in time")
	}
	return fmt.Errorf("could not fetch the homepage: %v", err)
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

// parse tokenizes the page (it does not grep it): script, img, iframe and
// placeholder elements, <base href>, CSP meta tags, and the markup inside
// <noscript>, which the tokenizer hands over as text.
func (c *Checker) parse(pg *page, r io.Reader) (int64, error) {
	cr := &countingReader{r: io.LimitReader(r, c.MaxBody)}
	base := pg.url
	pub, _ := url.Parse(c.PublicURL)
	placeholders := map[string]bool{}
	scriptSeen := false
	var scriptSlugs []string
	var walk func(z *html.Tokenizer) error
	walk = func(z *html.Tokenizer) error {
		inNoscript := false
		for {
			tt := z.Next()
			switch tt {
			case html.ErrorToken:
				return z.Err()
			case html.TextToken:
				if inNoscript {
					if err := walk(html.NewTokenizer(strings.NewReader(string(z.Text())))); err != nil && !errors.Is(err, io.EOF) {
						return err
					}
				}
			case html.EndTagToken:
				if name, _ := z.TagName(); string(name) == "noscript" {
					inNoscript = false
				}
			case html.StartTagToken, html.SelfClosingTagToken:
				name, hasAttr := z.TagName()
				attrs := map[string]string{}
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if _, dup := attrs[string(k)]; !dup {
						attrs[string(k)] = string(v)
					}
				}
				if slug, ok := attrs["data-oabadge"]; ok && string(name) != "script" {
					placeholders[slug] = true
				}
				switch string(name) {
				case "noscript":
					inNoscript = true
				case "base":
					if u, err := base.Parse(attrs["href"]); err == nil && attrs["href"] != "" {
						base = u
					}
				case "meta":
					if strings.EqualFold(attrs["http-equiv"], "content-security-policy") {
						pg.policies = append(pg.policies, ParsePolicies(attrs["content"])...)
					}
				case "script":
					if u := resolve(base, attrs["src"]); isEmbedScript(u, pub) {
						scriptSeen = true
						if slug := attrs["data-oabadge"]; slug != "" {
							scriptSlugs = append(scriptSlugs, slug)
						}
					}
				case "img":
					if slug, ok := slugUnder(resolve(base, attrs["src"]), pub, "/b/", true); ok {
						addForm(pg, slug, FormImage)
					}
				case "iframe":
					if slug, ok := slugUnder(resolve(base, attrs["src"]), pub, "/e/", false); ok {
						addForm(pg, slug, FormFrame)
					}
				}
			}
		}
	}
	err := walk(html.NewTokenizer(cr))
	if scriptSeen {
		for _, s := range scriptSlugs {
			addForm(pg, s, FormScript)
		}
		for s := range placeholders {
			addForm(pg, s, FormScript)
		}
	}
	return cr.n + extra(r), err
}

// extra reports whether bytes remain past the limit (1 if so).
func extra(r io.Reader) int64 {
	var b [1]byte
	if n, _ := r.Read(b[:]); n > 0 {
		return 1
	}
	return 0
}

func addForm(pg *page, slug string, f Form) {
	for _, x := range pg.found[slug] {
		if x == f {
			return
		}
	}
	pg.found[slug] = append(pg.found[slug], f)
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

func isEmbedScript(u, pub *url.URL) bool {
	if !sameOrigin(u, pub) {
		return false
	}
	p := strings.TrimPrefix(u.Path, strings.TrimSuffix(pub.Path, "/"))
	return p == "/embed.js" || strings.HasPrefix(p, "/embed/v") && strings.HasSuffix(p, ".js")
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
