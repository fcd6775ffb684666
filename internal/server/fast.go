package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/fastpath"
	"github.com/oabadge/oabadge/internal/logging"
)

var _ fastpath.Handler = (*Server)(nil)

// ServeFast implements fastpath.Handler: it answers a GET of a badge
// already in the cache, as the Echo route /b/:file would, byte for byte
// but the Date. It uses the same parsing, lookup, headers, counting,
// metrics and access log line; everything else it declines, and the
// request goes through Echo: a badge to draw, an unknown campaign or bad
// query (whose errors Echo's path words), a print-size PNG (rate-limited
// there), an Accept-Encoding or If-None-Match given on two lines.
func (s *Server) ServeFast(w []byte, r *fastpath.Request) ([]byte, bool) {
	file, ok := strings.CutPrefix(r.Path, "/b/")
	if !ok || strings.IndexByte(file, '/') >= 0 {
		return w, false
	}
	e, v, err := s.badgeVariant(context.Background(), file, r.RawQuery)
	if err != nil || v.Format == badge.PNG && v.Size*v.Density >= largePNG {
		return w, false
	}
	ae, nae := r.Header("Accept-Encoding")
	inm, ninm := r.Header("If-None-Match")
	if nae > 1 || ninm > 1 {
		return w, false
	}
	a, ok := s.campaigns.CachedBadge(e, v)
	if !ok {
		return w, false
	}
	accept, match := [1]string{ae}, [1]string{inm}
	b, status := badgeBody(a, v.Format, accept[:nae], match[:ninm])
	ua, _ := r.Header("User-Agent")
	ref, _ := r.Header("Referer")
	org, _ := r.Header("Origin")
	s.countFrom(compliance.Image, e.Slug(), ua, ref, org)

	if status == http.StatusOK {
		w = append(w, "HTTP/1.1 200 OK\r\n"...)
	} else {
		w = append(w, "HTTP/1.1 304 Not Modified\r\n"...)
	}
	var hs [maxBadgeHeaders]header
	for _, x := range s.badgeHeaders(hs[:0], e.Slug(), v.Format, b, status) {
		w = append(w, x.name...)
		w = append(w, ": "...)
		w = append(w, x.value[0]...)
		w = append(w, "\r\n"...)
	}
	end := time.Now()
	w = r.AppendEnd(w, end)
	var size int64
	if status == http.StatusOK {
		w = append(w, b.Bytes...)
		size = int64(len(b.Bytes))
	}

	d := end.Sub(r.Start)
	s.badgeRoute.Observe(status, d)
	if s.access != nil {
		s.access.Log(context.Background(), end, logging.Request{
			Method: http.MethodGet, Path: r.Path, Status: status, Bytes: size, Dur: d, IP: s.fastIP(r),
		})
	}
	return w, true
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
