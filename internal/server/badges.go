package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/compliance"
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

// parseBadgeQuery reads size, theme, layout and dpr from a raw query
// without allocating in the common case. Unknown parameters (cache busters
// webmasters add) are ignored, so they cannot change the output; a repeated
// known one is refused, since caches in front of us might pick the other.
// It returns a message for the client when the query is bad.
func parseBadgeQuery(raw string, f badge.Format) (badge.Variant, string) {
	v := badge.DefaultVariant(f)
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
			return v, key + " is given more than once"
		}
		seen[i] = true
		if strings.ContainsAny(val, "%+") {
			val = unescape(val)
		}
		var ok bool
		switch i {
		case 0:
			v.Size, ok = badge.ParseSize(val)
			if !ok {
				return v, msgSize
			}
		case 1:
			v.Theme, ok = badge.ParseTheme(val)
			if !ok {
				return v, msgTheme
			}
		case 2:
			v.Layout, ok = badge.ParseLayout(val)
			if !ok {
				return v, msgLayout
			}
		case 3:
			v.Density, ok = badge.ParseDensity(val)
			if !ok {
				return v, msgDensity
			}
		}
	}
	if f == badge.SVG {
		v.Density = 1 // vector: one rendering serves every screen
	}
	if v.Layout == badge.LayoutCard && v.Size < badge.MinCardSize {
		return v, msgCard
	}
	return v, ""
}

func unescape(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return "\x00" // matches nothing, so the value is refused
	}
	return u
}

// splitBadgeFile splits "slug.svg" into the slug and its format.
func splitBadgeFile(file string) (string, badge.Format, bool) {
	dot := strings.LastIndexByte(file, '.')
	if dot <= 0 {
		return "", 0, false
	}
	f, ok := badge.ParseFormat(file[dot+1:])
	return file[:dot], f, ok
}

// badge serves GET and HEAD /b/{slug}.{svg,png}. A cached badge is written
// without allocating: every header value is a shared, prebuilt slice.
func (s *Server) badge(c echo.Context) error {
	slug, f, ok := splitBadgeFile(c.Param("file"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, msgFile)
	}
	r := c.Request()
	v, msg := parseBadgeQuery(r.URL.RawQuery, f)
	if msg != "" {
		return echo.NewHTTPError(http.StatusBadRequest, msg)
	}
	a, err := s.campaigns.Badge(r.Context(), slug, v)
	if err != nil {
		return err
	}
	res := c.Response()
	h := res.Header()
	if f == badge.SVG {
		h["Content-Type"] = valSVGType
		// An SVG opened directly is a document: forbid it any script.
		h["Content-Security-Policy"] = valImageCSP
	} else {
		h["Content-Type"] = valPNGType
	}
	h["Etag"] = a.ETagValues()
	h["Cache-Control"] = s.imageCacheControl
	h["Cross-Origin-Resource-Policy"] = valCORP
	h["Access-Control-Allow-Origin"] = valAnyOrigin
	if r.Method == http.MethodGet {
		s.count(c, compliance.Image, slug)
	}
	if etagMatch(r.Header["If-None-Match"], a.ETag()) {
		res.WriteHeader(http.StatusNotModified)
		return nil
	}
	h["Content-Length"] = a.LengthValues()
	res.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, err = res.Write(a.Body)
	}
	return err
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
