package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/compress"
)

// Messages for bad badge queries, built once: they name the allowed values.
var (
	msgSize    = "size must be one of " + badge.SizeList
	msgTheme   = "theme must be one of " + badge.ThemeList
	msgLayout  = "layout must be one of " + badge.LayoutList
	msgDensity = "dpr must be one of " + badge.DensityList
	msgCard    = "layout card needs size " + strconv.Itoa(badge.MinCardSize) + " or more"
	msgFile    = "badge path must be /b/SLUG.svg or /b/SLUG.png"
)

// badgeQuery is a parsed badge query: the variant, and which of its
// parts the request named (the rest come from the campaign's look).
type badgeQuery struct {
	v                   badge.Variant
	size, theme, layout bool
}

// parseBadgeQuery reads size, theme, layout and dpr from a raw query
// without allocating in the common case. Unknown parameters (cache busters
// webmasters add) are ignored, so they cannot change the output; a repeated
// known one is refused, since caches in front of us might pick the other.
// It returns a message for the client when the query is bad.
func parseBadgeQuery(raw string, f badge.Format) (badgeQuery, string) {
	q := badgeQuery{v: badge.DefaultVariant(f)}
	var seen [4]bool
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		key, val, _ := strings.Cut(kv, "=")
		if strings.ContainsAny(key, "%+") {
			key = unescape(key)
		}
		i := -1
		switch key {
		case "size":
			i = 0
		case "theme":
			i = 1
		case "layout":
			i = 2
		case "dpr":
			i = 3
		default:
			continue
		}
		if seen[i] {
			return q, key + " is given more than once"
		}
		seen[i] = true
		if strings.ContainsAny(val, "%+") {
			val = unescape(val)
		}
		var ok bool
		switch i {
		case 0:
			if q.v.Size, ok = badge.ParseSize(val); !ok {
				return q, msgSize
			}
		case 1:
			if q.v.Theme, ok = badge.ParseTheme(val); !ok {
				return q, msgTheme
			}
		case 2:
			if q.v.Layout, ok = badge.ParseLayout(val); !ok {
				return q, msgLayout
			}
		case 3:
			if q.v.Density, ok = badge.ParseDensity(val); !ok {
				return q, msgDensity
			}
		}
	}
	q.size, q.theme, q.layout = seen[0], seen[1], seen[2]
	if f == badge.SVG {
		q.v.Density = 1 // vector: one rendering serves every screen
	}
	if q.v.Layout == badge.LayoutCard && q.v.Size < badge.MinCardSize && q.size {
		return q, msgCard
	}
	return q, ""
}

// withLook fills in what the request did not name from the campaign's
// look; a card the request gave no size gets the smallest card size at
// which its code is offered (old, smaller explicit sizes still serve).
func (q badgeQuery) withLook(theme, layout string) (badge.Variant, string) {
	v := q.v
	if !q.theme {
		if t, ok := badge.ParseTheme(theme); ok {
			v.Theme = t
		}
	}
	if !q.layout {
		if l, ok := badge.ParseLayout(layout); ok {
			v.Layout = l
		}
	}
	if v.Layout == badge.LayoutCard && v.Size < badge.MinCardSize {
		if q.size {
			return v, msgCard
		}
		v.Size = badge.OfferedSizes(badge.LayoutCard)[0]
	}
	return v, ""
}

// variantOf parses a badge query and completes it from the look: the one
// way a badge request, the iframe page and a preview pick their variant,
// so the same bad query gets the same answer everywhere (400).
func variantOf(raw string, f badge.Format, theme, layout string) (badge.Variant, error) {
	q, msg := parseBadgeQuery(raw, f)
	if msg != "" {
		return q.v, apperr.BadRequestf("%s", msg)
	}
	v, msg := q.withLook(theme, layout)
	if msg != "" {
		return v, apperr.BadRequestf("%s", msg)
	}
	return v, nil
}

func unescape(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return "\x00" // matches nothing, so the value is refused
	}
	return u
}

// largePNG is the pixel width from which a PNG request is rate-limited.
const largePNG = 2048

// printSize reports whether v is a PNG large enough to be rate-limited.
func printSize(v badge.Variant) bool { return v.Format == badge.PNG && v.Size*v.Density >= largePNG }

// splitBadgeFile splits "slug.svg" into the slug and its format.
func splitBadgeFile(file string) (string, badge.Format, bool) {
	dot := strings.LastIndexByte(file, '.')
	if dot <= 0 {
		return "", 0, false
	}
	f, ok := badge.ParseFormat(file[dot+1:])
	return file[:dot], f, ok
}

var errBadgeFile = apperr.NotFoundf("%s", msgFile)

// badge serves GET and HEAD /b/{slug}.{svg,png}. A cached badge is written
// without allocating: every header value is a shared, prebuilt slice.
func (s *Server) badge(c echo.Context) error {
	r := c.Request()
	e, v, err := s.badgeVariant(r.Context(), c.Param("file"), r.URL.RawQuery)
	if err != nil {
		return err
	}
	if printSize(v) {
		// Print-size PNGs cost the most to make; a client asking for many
		// is held to the same per-address rate as posters.
		if err := s.costly.allow(c.RealIP(), "large images"); err != nil {
			return err
		}
	}
	a, err := s.campaigns.Badge(r.Context(), e, v)
	if err != nil {
		return err
	}
	b, status := badgeBody(a, v.Format, r.Header["Accept-Encoding"], r.Header["If-None-Match"])
	if r.Method == http.MethodGet {
		s.count(c, compliance.Image, e.Slug())
	}
	res := c.Response()
	h := res.Header()
	var hs [maxAnswerHeaders]header
	for _, x := range s.badgeHeaders(hs[:0], e.Slug(), v.Format, b, status) {
		h[x.name] = x.value
	}
	res.WriteHeader(status)
	if status == http.StatusOK && r.Method != http.MethodHead {
		_, err = res.Write(b.Bytes)
	}
	return err
}

// badgeVariant reads a badge request's file ("slug.svg") and raw query:
// the campaign it names and the variant asked for, completed from the
// campaign's look. Both the Echo route and the fast path read them so.
func (s *Server) badgeVariant(ctx context.Context, file, rawQuery string) (*campaign.Entry, badge.Variant, error) {
	slug, f, ok := splitBadgeFile(file)
	if !ok {
		return nil, badge.Variant{}, errBadgeFile
	}
	q, msg := parseBadgeQuery(rawQuery, f)
	if msg != "" {
		return nil, q.v, apperr.BadRequestf("%s", msg)
	}
	e, err := s.campaigns.Lookup(ctx, slug)
	if err != nil {
		return nil, q.v, err
	}
	v, msg := q.withLook(e.Look())
	if msg != "" {
		return nil, v, apperr.BadRequestf("%s", msg)
	}
	return e, v, nil
}

// badgeBody picks the form of a to send for a request's Accept-Encoding
// lines (SVG only: PNG is compressed already), and the status: 304 when
// If-None-Match names that form's tag. Each coding has its own tag, so a
// cache revalidating its gzip copy gets 304 only while that copy is
// current.
func badgeBody(a *campaign.Asset, f badge.Format, accept, ifNoneMatch []string) (*compress.Body, int) {
	if f != badge.SVG {
		accept = nil
	}
	b := a.For(accept)
	return b, statusFor(b, ifNoneMatch)
}

// statusFor is the status of an answer with body b to a request with
// these If-None-Match lines: 304 when one names b's tag, else 200.
func statusFor(b *compress.Body, ifNoneMatch []string) int {
	if etagMatch(ifNoneMatch, b.ETag()) {
		return http.StatusNotModified
	}
	return http.StatusOK
}

// header is a response header: its canonical name and a shared value.
type header struct {
	name  string
	value []string
}

// maxAnswerHeaders bounds the header lists (badgeHeaders, scriptHeaders),
// so they fit an array.
const maxAnswerHeaders = 16

// badgeHeaders appends the headers of a badge answer with status (200 or
// 304) and body b to dst, in the order net/http writes a header map
// (sorted by name): the one list both the Echo handler and the fast path
// send. A 304 has no Content-Type or Content-Length, which net/http
// would drop.
func (s *Server) badgeHeaders(dst []header, slug string, f badge.Format, b *compress.Body, status int) []header {
	svg := f == badge.SVG
	t := s.tagsOf(slug)
	dst = append(dst, header{"Access-Control-Allow-Origin", valAnyOrigin},
		header{"Cache-Control", s.imageCacheControl},
		header{"Cache-Tag", t.tag})
	if enc := b.EncodingValues(); enc != nil {
		dst = append(dst, header{"Content-Encoding", enc})
	}
	if status == http.StatusOK {
		dst = append(dst, header{"Content-Length", b.LengthValues()})
	}
	if svg {
		// An SVG opened directly is a document: forbid it any script.
		dst = append(dst, header{"Content-Security-Policy", valImageCSP})
	}
	if status == http.StatusOK {
		ct := valPNGType
		if svg {
			ct = valSVGType
		}
		dst = append(dst, header{"Content-Type", ct})
	}
	dst = append(dst, header{"Cross-Origin-Resource-Policy", valCORP},
		header{"Etag", b.ETagValues()})
	if s.hsts != nil {
		dst = append(dst, header{"Strict-Transport-Security", s.hsts})
	}
	dst = append(dst, header{"Surrogate-Key", t.key})
	if svg {
		// Every SVG answer depends on Accept-Encoding, the uncompressed
		// ones too: a shared cache must not hand them to other clients.
		dst = append(dst, header{"Vary", valVaryEncoding})
	}
	return append(dst, header{"X-Content-Type-Options", valNosniff})
}

// etagMatch implements If-None-Match's weak comparison (RFC 9110 13.1.2)
// against a strong tag, without allocating.
func etagMatch(headers []string, etag string) bool {
	for _, h := range headers {
		for h != "" {
			var t string
			t, h, _ = strings.Cut(h, ",")
			t = strings.TrimSpace(t)
			if t == "*" {
				return true
			}
			t = strings.TrimPrefix(t, "W/")
			if t == etag {
				return true
			}
		}
	}
	return false
}
