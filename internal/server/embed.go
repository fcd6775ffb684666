package server

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/js"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/static"
)

// EmbedVersion numbers the embed script's interface (its data attributes).
// The versioned file name also carries a hash of the bytes, so any change
// of the script, or of the public URL written into it, gets a new name.
const EmbedVersion = 1

// embedScript is the embed script as served: minified, with the public URL
// written in, and its validators computed once.
type embedScript struct {
	body      []byte
	name      string // v{N}-{hash}.js, served immutable under /embed/
	integrity string // Subresource Integrity value for the versioned file
	etag      []string
	length    []string
}

// buildEmbed prepares static/embed.js for publicURL. The URL is written as
// a JSON string literal, which is also a valid, escaped JavaScript string.
func buildEmbed(publicURL string) (*embedScript, error) {
	src, err := static.FS.ReadFile("embed.js")
	if err != nil {
		return nil, err
	}
	lit, err := json.Marshal(publicURL)
	if err != nil {
		return nil, err
	}
	src = bytes.Replace(src, []byte(`"{{PUBLIC_URL}}"`), lit, 1)
	src = bytes.Replace(src, []byte(`"{{VERSION}}"`), []byte(strconv.Quote(strconv.Itoa(EmbedVersion))), 1)
	m := minify.New()
	var out bytes.Buffer
	if err := js.Minify(m, &out, bytes.NewReader(src), nil); err != nil {
		return nil, fmt.Errorf("minifying embed.js: %w", err)
	}
	body := out.Bytes()
	sum := sha256.Sum256(body)
	sri := sha512.Sum384(body)
	return &embedScript{
		body:      body,
		name:      fmt.Sprintf("v%d-%s.js", EmbedVersion, hex.EncodeToString(sum[:5])),
		integrity: "sha384-" + base64.StdEncoding.EncodeToString(sri[:]),
		etag:      []string{`"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`},
		length:    []string{strconv.Itoa(len(body))},
	}, nil
}

// URL returns the absolute URL of the versioned script.
func (e *embedScript) URL(base string) string { return base + "/embed/" + e.name }

var (
	valJSType       = []string{"text/javascript; charset=utf-8"}
	valImmutable    = []string{"public, max-age=31536000, immutable"}
	valEmbedShort   = []string{"public, max-age=300, stale-while-revalidate=3600"}
	valFrameCSPBase = "default-src 'none'; base-uri 'none'; form-action 'none'"
)

// embedJS serves GET /embed.js, the always-current script, with a short
// cache so portals that do not pin it get changes within minutes.
func (s *Server) embedJS(c echo.Context) error {
	return s.writeScript(c, valEmbedShort)
}

// embedVersioned serves GET /embed/{name}: the current versioned script,
// cacheable forever, which the webmaster page pins with its SRI hash.
func (s *Server) embedVersioned(c echo.Context) error {
	if c.Param("file") != s.embed.name {
		return apperr.NotFoundf("no such embed script; the current one is /embed/%s", s.embed.name)
	}
	return s.writeScript(c, valImmutable)
}

func (s *Server) writeScript(c echo.Context, cacheControl []string) error {
	if c.Request().Method == http.MethodGet {
		s.count(c, compliance.Script, "")
	}
	h := c.Response().Header()
	h["Content-Type"] = valJSType
	h["Cache-Control"] = cacheControl
	h["Etag"] = s.embed.etag
	h["Access-Control-Allow-Origin"] = valAnyOrigin // for crossorigin="anonymous" and SRI
	h["Cross-Origin-Resource-Policy"] = valCORP
	if etagMatch(c.Request().Header["If-None-Match"], s.embed.etag[0]) {
		return c.NoContent(http.StatusNotModified)
	}
	h["Content-Length"] = s.embed.length
	return c.Blob(http.StatusOK, valJSType[0], s.embed.body)
}
