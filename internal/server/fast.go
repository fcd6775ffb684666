package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/fastpath"
	"github.com/oabadge/oabadge/internal/logging"
	"github.com/oabadge/oabadge/internal/metrics"
)

var _ fastpath.Handler = (*Server)(nil)

// ServeFast implements fastpath.Handler: it answers a GET of a badge
// already in the cache, or of the embed script, as their Echo routes would,
// byte for byte but the Date. It uses the same parsing, lookup, header
// lists, counting, metrics and access log line; everything else it
// declines, and the request goes through Echo: a badge to draw, an unknown
// campaign or bad query (whose errors Echo's path words), a print-size PNG
// (rate-limited there), an Accept-Encoding or If-None-Match given on two
// lines.
func (s *Server) ServeFast(w []byte, r *fastpath.Request) ([]byte, bool) {
	ae, nae := r.Header("Accept-Encoding")
	inm, ninm := r.Header("If-None-Match")
	if nae > 1 || ninm > 1 {
		return w, false
	}
	accept, match := [1]string{ae}, [1]string{inm}
	var hs [maxAnswerHeaders]header
	if r.Path == "/embed.js" {
		b := s.embeds.newest.forms.For(accept[:nae])
		status := statusFor(b, match[:ninm])
		s.countFast(r, compliance.Script, "")
		return s.fastAnswer(w, r, s.scriptRoute, status, s.scriptHeaders(hs[:0], b, valEmbedShort, status), b.Bytes), true
	}
	file, ok := strings.CutPrefix(r.Path, "/b/")
	if !ok || strings.IndexByte(file, '/') >= 0 {
		return w, false
	}
	e, v, err := s.badgeVariant(context.Background(), file, r.RawQuery)
	if err != nil || printSize(v) {
		return w, false
	}
	a, ok := s.campaigns.CachedBadge(e, v)
	if !ok {
		return w, false
	}
	b, status := badgeBody(a, v.Format, accept[:nae], match[:ninm])
	s.countFast(r, compliance.Image, e.Slug())
	return s.fastAnswer(w, r, s.badgeRoute, status, s.badgeHeaders(hs[:0], e.Slug(), v.Format, b, status), b.Bytes), true
}

// countFast counts e for slug from r's headers, as count does on Echo's path.
func (s *Server) countFast(r *fastpath.Request, e compliance.Event, slug string) {
	ua, _ := r.Header("User-Agent")
	ref, _ := r.Header("Referer")
	org, _ := r.Header("Origin")
	s.countFrom(e, slug, ua, ref, org)
}

// fastAnswer appends to w the answer with status (200 or 304), the
// headers hs and, with 200, body, as net/http writes it, and records it as
// observeMW does: in route's metrics and the access log.
func (s *Server) fastAnswer(w []byte, r *fastpath.Request, route *metrics.Route, status int, hs []header, body []byte) []byte {
	if status == http.StatusOK {
		w = append(w, "HTTP/1.1 200 OK\r\n"...)
	} else {
		w = append(w, "HTTP/1.1 304 Not Modified\r\n"...)
	}
	for _, x := range hs {
		w = append(w, x.name...)
		w = append(w, ": "...)
		w = append(w, x.value[0]...)
		w = append(w, "\r\n"...)
	}
	end := time.Now()
	w = r.AppendEnd(w, end)
	var size int64
	if status == http.StatusOK {
		w = append(w, body...)
		size = int64(len(body))
	}
	d := end.Sub(r.Start)
	route.Observe(status, d)
	if s.access != nil {
		s.access.Log(context.Background(), end, logging.Request{
			Method: http.MethodGet, Path: r.Path, Status: status, Bytes: size, Dur: d, IP: s.fastIP(r),
		})
	}
	return w
}

// fastIP is the client's address as c.RealIP() gives it on Echo's path:
// the peer's, or with trusted proxies what X-Forwarded-For says.
func (s *Server) fastIP(r *fastpath.Request) string {
	if len(s.cfg.TrustedProxies) > 0 {
		if xff, n := r.Header("X-Forwarded-For"); n > 0 {
			h := http.Header{"X-Forwarded-For": {xff}}
			if n > 1 { // rare: every line, in order, as net/http keeps them
				h = http.Header{}
				for i := range r.NumFields() {
					if name, value := r.Field(i); strings.EqualFold(name, "X-Forwarded-For") {
						h.Add("X-Forwarded-For", value)
					}
				}
			}
			return s.echo.IPExtractor(&http.Request{RemoteAddr: r.RemoteAddr, Header: h})
		}
	}
	return r.RemoteIP
}
