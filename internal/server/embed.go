package server

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oabadge/oabadge/internal/compress"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/embedscript"
)

// EmbedScripts is what the server needs of a store to keep pinned embed
// scripts answering: remember each script offered, and find one by name.
type EmbedScripts interface {
	OfferEmbedScript(ctx context.Context, sc embedscript.Script) (embedscript.Script, error)
	EmbedScript(ctx context.Context, name string) (embedscript.Script, error)
}

// releases returns the frozen releases built for a public URL. Tests
// replace it to play a later binary with a changed script.
var releases = embedscript.Releases

// embedScript is an embed script as served, with its validators computed once.
type embedScript struct {
	body      []byte
	name      string // v{N}-{hash}.js, served immutable under /embed/
	integrity string // Subresource Integrity value
	// forms are the script as sent: as it is, gzip and brotli, each with
	// its own strong ETag and length, compressed once (the integrity is
	// over the uncompressed bytes, as browsers check it).
	forms *compress.Set
}

func newEmbedScript(sc embedscript.Script) *embedScript {
	return &embedScript{
		body:      sc.Body,
		name:      sc.Name,
		integrity: sc.Integrity,
		forms:     compress.Compressed(sc.Body),
	}
}

// URL returns the absolute URL of the versioned script.
func (e *embedScript) URL(base string) string { return base + "/embed/" + e.name }

// embedSet is every embed script the server answers for: the frozen
// releases built for the public URL, in memory, and whatever the store
// remembers from earlier binaries and public URLs, read on first request.
type embedSet struct {
	newest  *embedScript // offered by the page and served at /embed.js
	store   EmbedScripts // nil: the releases in memory only
	log     *slog.Logger
	now     func() time.Time
	offered atomic.Bool // every release is in the store

	mu     sync.RWMutex
	byName map[string]*embedScript // bounded: releases, and names the store holds
}

// newEmbedSet builds the releases for publicURL and offers them to the
// store. A store that does not answer now is tried again when the page
// next offers a snippet.
func newEmbedSet(publicURL string, st EmbedScripts, log *slog.Logger) (*embedSet, error) {
	rs, err := releases(publicURL)
	if err != nil {
		return nil, err
	}
	set := &embedSet{store: st, log: log, now: time.Now, byName: map[string]*embedScript{}}
	for _, r := range rs {
		set.byName[r.Name] = newEmbedScript(r)
	}
	set.newest = set.byName[rs[len(rs)-1].Name]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	set.offer(ctx)
	return set, nil
}

// offer stores every release not stored yet, so their names answer after
// an upgrade or a change of the public URL too.
func (e *embedSet) offer(ctx context.Context) {
	if e.store == nil || e.offered.Load() {
		return
	}
	e.mu.RLock()
	list := make([]*embedScript, 0, len(e.byName))
	for _, s := range e.byName {
		list = append(list, s)
	}
	e.mu.RUnlock()
	for _, s := range list {
		sc := embedscript.Script{Name: s.name, Body: s.body, Integrity: s.integrity, FirstOffered: e.now().UTC()}
		if _, err := e.store.OfferEmbedScript(ctx, sc); err != nil {
			e.log.Warn("remembering an embed script failed; trying again later", "name", s.name, "err", err)
			return
		}
	}
	e.offered.Store(true)
}

// lookup returns the script named name: a release, or one the store
// remembers. Names that are not v{N}-{hash}.js never reach the store.
func (e *embedSet) lookup(ctx context.Context, name string) (*embedScript, error) {
	e.mu.RLock()
	s := e.byName[name]
	e.mu.RUnlock()
	if s != nil {
		return s, nil
	}
	if _, ok := embedscript.Release(name); !ok || e.store == nil {
		return nil, errNoScript
	}
	sc, err := e.store.EmbedScript(ctx, name)
	if apperr.KindOf(err) == apperr.NotFound {
		return nil, errNoScript
	}
	if err != nil {
		return nil, err
	}
	s = newEmbedScript(sc)
	e.mu.Lock()
	e.byName[name] = s
	e.mu.Unlock()
	return s, nil
}

var errNoScript = apperr.NotFoundf("no such embed script; the page at / offers the current one")

var (
	valJSType       = []string{"text/javascript; charset=utf-8"}
	valImmutable    = []string{"public, max-age=31536000, immutable"}
	valEmbedShort   = []string{"public, max-age=300, stale-while-revalidate=3600"}
	valFrameCSPBase = "default-src 'none'; base-uri 'none'; form-action 'none'"
)

// embedJS serves GET /embed.js, the newest script, with a short cache so
// portals that do not pin it get changes within minutes.
func (s *Server) embedJS(c echo.Context) error {
	return s.writeScript(c, s.embeds.newest, valEmbedShort)
}

// embedVersioned serves GET /embed/{name}: any script ever offered,
// cacheable forever. Its errors carry the CORS header too, so a page that
// loads it with crossorigin="anonymous" sees a 404 as a 404.
func (s *Server) embedVersioned(c echo.Context) error {
	c.Response().Header()["Access-Control-Allow-Origin"] = valAnyOrigin
	sc, err := s.embeds.lookup(c.Request().Context(), c.Param("file"))
	if err != nil {
		return err
	}
	return s.writeScript(c, sc, valImmutable)
}

func (s *Server) writeScript(c echo.Context, sc *embedScript, cacheControl []string) error {
	r := c.Request()
	if r.Method == http.MethodGet {
		s.count(c, compliance.Script, "")
	}
	b := sc.forms.For(r.Header["Accept-Encoding"])
	status := statusFor(b, r.Header["If-None-Match"])
	res := c.Response()
	h := res.Header()
	var hs [maxAnswerHeaders]header
	for _, x := range s.scriptHeaders(hs[:0], b, cacheControl, status) {
		h[x.name] = x.value
	}
	res.WriteHeader(status)
	if status != http.StatusOK || r.Method == http.MethodHead {
		return nil
	}
	_, err := res.Write(b.Bytes)
	return err
}

// scriptHeaders appends the headers of an embed script's answer with
// status (200 or 304) and body b to dst, sorted by name as net/http writes
// them: the one list the Echo routes and the fast path send.
func (s *Server) scriptHeaders(dst []header, b *compress.Body, cacheControl []string, status int) []header {
	dst = append(dst, header{"Access-Control-Allow-Origin", valAnyOrigin}, // for crossorigin="anonymous" and SRI
		header{"Cache-Control", cacheControl})
	if enc := b.EncodingValues(); enc != nil {
		dst = append(dst, header{"Content-Encoding", enc})
	}
	if status == http.StatusOK {
		dst = append(dst, header{"Content-Length", b.LengthValues()}, header{"Content-Type", valJSType})
	}
	dst = append(dst, header{"Cross-Origin-Resource-Policy", valCORP}, header{"Etag", b.ETagValues()})
	if s.hsts != nil {
		dst = append(dst, header{"Strict-Transport-Security", s.hsts})
	}
	return append(dst, header{"Vary", valVaryEncoding}, header{"X-Content-Type-Options", valNosniff})
}
