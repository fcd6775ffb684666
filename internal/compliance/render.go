package compliance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/png" // screenshots are PNG
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/fetch"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// The render check is the last word on what a visitor sees: it loads the
// homepage in headless Chromium, waits for the badge, screenshots it and
// reads the QR code from the screenshot with gozxing. Chromium reaches the
// network only through a proxy in this process that dials with the
// checker's address guard, so the render check is held to the same
// public-only rule as the fetches (DNS rebinding included: the proxy
// resolves and connects). Requests to this server carry CheckerAgent in
// their User-Agent, and the page's own go out without Referer and Origin,
// so that a render is not counted as the portal's impression.

// CheckerAgent is in the User-Agent of every request the checker makes,
// the render check's browser included.
const CheckerAgent = "oabadge-checker"

// renderUserAgent is a current Chromium's, marked as the checker's.
const renderUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 " + CheckerAgent

// IsCheckerRequest reports whether a request with this User-Agent comes
// from the checker (a fetch or a render): this server should not count it
// as an impression or a click, or the report would believe the checker.
func IsCheckerRequest(userAgent string) bool { return strings.Contains(userAgent, CheckerAgent) }

// Renderer loads pages in headless Chromium to confirm, badge by badge,
// what a visitor sees (Checker.Render, `oabadge check --render`).
type Renderer struct {
	// ExecPath is the Chromium binary; "" looks for chromium,
	// chromium-browser and google-chrome on the PATH.
	ExecPath string
	// Concurrency bounds the pages open at once; 0 is 2.
	Concurrency int
	// Timeout bounds one page: load, badge, screenshot; 0 is 30 seconds.
	Timeout time.Duration
	// Dir keeps one screenshot per agency and campaign
	// (agency-ID-campaign.png), named in Result.Screenshot; "" keeps none.
	Dir string
	// Code returns what a campaign's QR code must encode now: its current
	// target, or this server's stable redirect to it. A nil Code, or false,
	// accepts any code that scans.
	Code func(slug string) (string, bool)
}

// ErrNoBrowser is returned by Renderer.Available when no Chromium is found;
// a render check without one notes it in the reasons and keeps the static
// verdicts.
var ErrNoBrowser = errors.New("no Chromium found: install it (Debian: apt-get install chromium) or give its path")

// Available returns the Chromium binary the renderer would use, or
// ErrNoBrowser.
func (rd *Renderer) Available() (string, error) {
	for _, p := range []string{rd.ExecPath, "chromium", "chromium-browser", "google-chrome"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path, nil
		}
	}
	return "", ErrNoBrowser
}

func (rd *Renderer) concurrency() int {
	if rd.Concurrency <= 0 {
		return 2
	}
	return rd.Concurrency
}

func (rd *Renderer) timeout() time.Duration {
	if rd.Timeout <= 0 {
		return 30 * time.Second
	}
	return rd.Timeout
}

// confirm renders the pages of out whose static check found our markup,
// and corrects their results with what Chromium shows.
func (rd *Renderer) confirm(ctx context.Context, c *Checker, agencies []Agency, out [][]Result) {
	var todo []int
	for i, rs := range out {
		for _, r := range rs {
			if len(r.Forms) > 0 && r.FinalURL != "" {
				todo = append(todo, i)
				break
			}
		}
	}
	if len(todo) == 0 {
		return
	}
	note := func(msg string) {
		for _, i := range todo {
			for j := range out[i] {
				if len(out[i][j].Forms) > 0 {
					out[i][j].Reason += "; " + msg
				}
			}
		}
	}
	exe, err := rd.Available()
	if err != nil {
		note("not rendered: " + err.Error())
		return
	}
	proxy, err := startProxy(c.guard(), c.Timeout)
	if err != nil {
		note("not rendered: the render proxy did not start")
		return
	}
	defer proxy.close()
	profile, err := os.MkdirTemp("", "oabadge-render-")
	if err != nil {
		note("not rendered: no temporary directory for Chromium")
		return
	}
	defer os.RemoveAll(profile)
	alloc, cancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		// Every connection through the guarded proxy, loopback included.
		chromedp.ProxyServer("http://"+proxy.addr), chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("force-webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.Flag("hide-scrollbars", true), chromedp.Flag("mute-audio", true),
		// Marks every request, frames of other origins included, so this
		// server can leave renders out of its counts (IsCheckerRequest).
		chromedp.UserAgent(renderUserAgent))
	defer cancel()
	browser, cancelB := chromedp.NewContext(alloc)
	defer cancelB()
	if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
		note("not rendered: Chromium did not start")
		return
	}
	origin := ""
	if u, err := parsePublicURL(c.PublicURL); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	sem := make(chan struct{}, rd.concurrency())
	var wg sync.WaitGroup
	for _, i := range todo {
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
			rd.renderOne(browser, origin, agencies[i], out[i])
		}()
	}
	wg.Wait()
}

// badgeBox is a badge element found on the rendered page.
type badgeBox struct {
	Kind          string  // script, image or iframe
	X, Y, W, H    float64 // in page coordinates
	Loaded        bool    // its image decoded (for iframes: unknown, true)
	VisibleInPage bool    // it has a box and is not hidden
}

// findBadgesJS lists the badge elements of one campaign: the script's
// shadow-root hosts, plain images and iframes, with their boxes.
const findBadgesJS = `((origin, slug) => {
  const out = [];
  const box = (kind, el, loaded) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    out.push({Kind: kind, X: r.left + scrollX, Y: r.top + scrollY, W: r.width, H: r.height, Loaded: loaded,
      VisibleInPage: r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"});
  };
  const ours = (src, path) => src.startsWith(origin + path);
  for (const h of document.querySelectorAll("span")) {
    if (!h.shadowRoot) continue;
    const a = h.shadowRoot.querySelector("a"), i = h.shadowRoot.querySelector("img");
    if (a && i && a.href === origin + "/go/" + slug) box("script", h, i.complete && i.naturalWidth > 0);
  }
  for (const i of document.querySelectorAll("img")) {
    if (ours(i.currentSrc || i.src, "/b/" + slug + ".")) box("image", i, i.complete && i.naturalWidth > 0);
  }
  for (const f of document.querySelectorAll("iframe")) {
    if (ours(f.src, "/e/" + slug)) box("iframe", f, true);
  }
  return out;
})`

// settleJS waits for the load event and for every image in the document
// and in shadow roots to have loaded or failed.
const settleJS = `(() => {
  if (document.readyState !== "complete") return false;
  const imgs = [...document.images];
  for (const h of document.querySelectorAll("span")) if (h.shadowRoot) imgs.push(...h.shadowRoot.querySelectorAll("img"));
  return imgs.every(i => i.complete);
})()`

// renderOne loads one agency's homepage and corrects its results.
func (rd *Renderer) renderOne(browser context.Context, origin string, a Agency, rs []Result) {
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	ctx, cancelT := context.WithTimeout(tab, rd.timeout())
	defer cancelT()
	homepage := rs[0].FinalURL
	if !strings.HasPrefix(homepage, "http://") && !strings.HasPrefix(homepage, "https://") {
		return
	}
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		return
	}
	if origin != "" {
		rd.stripReferrer(ctx, origin)
	}
	fail := func(msg string) {
		for j := range rs {
			if len(rs[j].Forms) == 0 {
				continue
			}
			if rs[j].Status == Embedded {
				rs[j].Status = Broken
				rs[j].Reason = "in Chromium " + msg + " (the page's markup and policy looked right)"
			} else {
				rs[j].Reason += "; in Chromium " + msg + " either"
			}
			rs[j].Rendered = true
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(homepage)); err != nil {
		fail("the page did not load")
		return
	}
	// Wait for the page and its images; a page still busy at the bound is
	// judged as it stands.
	pollCtx, cancelP := context.WithTimeout(ctx, rd.timeout()/2)
	_, _ = chromedp.Run(pollCtx, chromedp.Poll[bool](settleJS))
	cancelP()
	for j := range rs {
		r := &rs[j]
		if len(r.Forms) == 0 {
			continue
		}
		rd.judgeRendered(ctx, origin, a, r)
	}
}

// judgeRendered looks for r's campaign's badge on the loaded page, reads
// its code and sets r from what it finds.
func (rd *Renderer) judgeRendered(ctx context.Context, origin string, a Agency, r *Result) {
	r.Rendered = true
	want, known := "", false
	if rd.Code != nil {
		want, known = rd.Code(r.Campaign)
	}
	// A lazy iframe, an async script or a late paint may come after the
	// load event: look again a few times within the page's bound.
	var boxes []badgeBox
	var sawCode, otherCode bool
	for try := 0; try < 20 && ctx.Err() == nil && !otherCode; try++ {
		if try > 0 {
			sleepCtx(ctx, 250*time.Millisecond)
		}
		bs, err := chromedp.Run(ctx, chromedp.Evaluate[[]badgeBox](fmt.Sprintf("%s(%q, %q)", findBadgesJS, origin, r.Campaign)))
		if err != nil {
			continue
		}
		boxes = bs
		for _, b := range boxes {
			if !b.VisibleInPage || !b.Loaded {
				continue
			}
			png, err := chromedp.Call(ctx, cdppage.CaptureScreenshot, cdppage.CaptureScreenshotParams{
				Clip:                  &cdppage.Viewport{X: b.X, Y: b.Y, Width: b.W, Height: b.H, Scale: 2},
				CaptureBeyondViewport: new(true),
			})
			if err != nil {
				continue
			}
			text, ok := decodeQR(png.Data)
			if r.Screenshot == "" || ok {
				r.Screenshot = rd.keep(a, r.Campaign, png.Data)
			}
			if !ok {
				continue
			}
			sawCode = true
			if known && text != want {
				otherCode = true
				continue
			}
			r.Status, r.Fix, r.FixWhere, r.Boxes = Embedded, "", "", nil
			r.Reason = "in Chromium the " + b.Kind + " form shows the badge and its code scans to the campaign's current target"
			if !known {
				r.Reason = "in Chromium the " + b.Kind + " form shows the badge and its code scans"
			}
			return
		}
	}
	switch {
	case otherCode:
		r.Status, r.Fix, r.FixWhere, r.Boxes = Broken, "", "", nil
		r.Reason = "in Chromium the badge shows, but its code scans to another address than the campaign's current target (a copied image?): re-copy the snippet"
	case len(boxes) > 0 && !sawCode && anyShown(boxes):
		r.Status, r.Fix, r.FixWhere, r.Boxes = Broken, "", "", nil
		r.Reason = "in Chromium the badge shows but its code does not scan (too small, covered, or distorted by the page's styles)"
	case r.Status == Embedded:
		r.Status = Broken
		r.Reason = "in Chromium no badge appeared (the page's markup and policy looked right: a script of the page may remove it, or its styles hide it)"
	default:
		r.Reason += "; Chromium shows no badge either"
	}
}

func anyShown(bs []badgeBox) bool {
	for _, b := range bs {
		if b.VisibleInPage && b.Loaded {
			return true
		}
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// decodeQR reads the QR code in a PNG screenshot.
func decodeQR(png []byte) (string, bool) {
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		return "", false
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", false
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", false
	}
	return res.GetText(), true
}

// keep writes a screenshot under Dir and returns its file name, or "".
func (rd *Renderer) keep(a Agency, slug string, png []byte) string {
	if rd.Dir == "" || !scriptSlug.MatchString(slug) {
		return ""
	}
	name := fmt.Sprintf("agency-%d-%s.png", a.ID, slug)
	tmp, err := os.CreateTemp(rd.Dir, ".render-*")
	if err != nil {
		return ""
	}
	if _, err := tmp.Write(png); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return ""
	}
	if err := tmp.Close(); err != nil || os.Rename(tmp.Name(), filepath.Join(rd.Dir, name)) != nil {
		os.Remove(tmp.Name())
		return ""
	}
	return name
}

// stripReferrer makes the tab's requests to this server go without
// Referer and Origin, so that the render is not counted as an impression
// of the portal.
func (rd *Renderer) stripReferrer(ctx context.Context, origin string) {
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: origin + "/*"}}}); err != nil {
		return
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			var hs []*fetch.HeaderEntry
			for k, v := range ev.Request.Headers {
				if strings.EqualFold(k, "Referer") || strings.EqualFold(k, "Origin") {
					continue
				}
				if s, ok := v.(string); ok {
					hs = append(hs, &fetch.HeaderEntry{Name: k, Value: s})
				}
			}
			_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID, Headers: hs})
		}
	}()
}

// guardProxy is the forward proxy Chromium uses during a render: CONNECT
// tunnels and plain requests, every connection dialled by the guard.
type guardProxy struct {
	addr string
	srv  *http.Server
	g    *guard
	tr   *http.Transport

	mu    sync.Mutex
	conns map[net.Conn]bool // hijacked tunnels, closed with the proxy
}

func startProxy(g *guard, timeout time.Duration) (*guardProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &guardProxy{addr: ln.Addr().String(), g: g, conns: map[net.Conn]bool{},
		tr: &http.Transport{DialContext: g.DialContext, ResponseHeaderTimeout: timeout, MaxIdleConnsPerHost: 2}}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *guardProxy) close() {
	p.srv.Close()
	p.tr.CloseIdleConnections()
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// hopHeaders are not forwarded (RFC 9110, 7.6.1).
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *guardProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	if !r.URL.IsAbs() || (r.URL.Scheme != "http" && r.URL.Scheme != "https") {
		http.Error(w, "not a proxy request", http.StatusBadRequest)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		http.Error(w, "refused or unreachable", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// tunnel answers CONNECT: the guard dials, then bytes flow both ways.
func (p *guardProxy) tunnel(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	up, err := p.g.DialContext(ctx, "tcp", r.Host)
	cancel()
	if err != nil {
		http.Error(w, "refused or unreachable", http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "no tunnel", http.StatusInternalServerError)
		return
	}
	down, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	p.mu.Lock()
	p.conns[up], p.conns[down] = true, true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, up)
		delete(p.conns, down)
		p.mu.Unlock()
		up.Close()
		down.Close()
	}()
	if _, err := down.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n")); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() {
		if n := buf.Reader.Buffered(); n > 0 {
			b, _ := buf.Reader.Peek(n)
			up.Write(b)
		}
		io.Copy(up, down)
		done <- struct{}{}
	}()
	go func() {
		io.Copy(down, up)
		done <- struct{}{}
	}()
	<-done
}
