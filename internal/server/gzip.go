package server

import (
	"bytes"
	"compress/gzip"
	"mime"
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/compress"
)

// Pages made per request (the webmaster page, whose content depends on
// the query; the console; the static assets of both) are gzipped per
// response when the client accepts it. They are not the hot path: badges,
// campaign JSON and the embed script are made once and served from memory
// in every coding (package compress). Gzip alone, at the default level,
// because a brotli encoder per response costs megabytes of tables and
// most of the gain on pages of a few KiB is gzip's.

// gzipMinSize is the smallest page gzipped: below it, the saving does not
// pay for the work.
const gzipMinSize = 1 << 10

var (
	gzipWriters = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression) // the level is valid
		return w
	}}
	pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// valGzip is the Content-Encoding of a gzipped page.
var valGzip = []string{"gzip"}

// gzipped wraps h, a handler that answers a page made per request, so
// that its answer is gzipped when the client accepts gzip and the answer
// is worth it (200, a text type, at least gzipMinSize, not encoded and
// without a validator already). Every answer says Vary: Accept-Encoding.
func (s *Server) gzipped(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		res.Header()["Vary"] = valVaryEncoding
		if _, gz := compress.Accepts(c.Request().Header["Accept-Encoding"]); !gz {
			return h(c)
		}
		w := &pageWriter{ResponseWriter: res.Writer, buf: pageBuffers.Get().(*bytes.Buffer)}
		res.Writer = w
		err := h(c)
		res.Writer = w.ResponseWriter
		if ferr := w.finish(); err == nil {
			err = ferr
		}
		return err
	}
}

// pageWriter holds a page's status and body until the handler is done,
// then sends them, gzipped when worth it.
type pageWriter struct {
	http.ResponseWriter
	buf    *bytes.Buffer
	status int
}

func (w *pageWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *pageWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.buf.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *pageWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish sends what the handler wrote.
func (w *pageWriter) finish() error {
	defer func() {
		w.buf.Reset()
		pageBuffers.Put(w.buf)
	}()
	if w.status == 0 {
		return nil // nothing was written: the error path answers
	}
	h := w.Header()
	body := w.buf.Bytes()
	if w.status == http.StatusOK && len(body) >= gzipMinSize && h.Get("Content-Encoding") == "" && h.Get("Etag") == "" && textType(h.Get("Content-Type")) {
		z := pageBuffers.Get().(*bytes.Buffer)
		defer func() {
			z.Reset()
			pageBuffers.Put(z)
		}()
		gw := gzipWriters.Get().(*gzip.Writer)
		gw.Reset(z)
		gw.Write(body) // writes to a bytes.Buffer do not fail
		gw.Close()
		gzipWriters.Put(gw)
		body = z.Bytes()
		h["Content-Encoding"] = valGzip
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	// Otherwise the handler's own Content-Length, if any, stands (a HEAD
	// answer has one and no body); net/http counts the rest.
	w.ResponseWriter.WriteHeader(w.status)
	_, err := w.ResponseWriter.Write(body)
	return err
}

// textType reports whether a Content-Type is text worth compressing.
func textType(ct string) bool {
	t, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch t {
	case "text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
		"application/json", "image/svg+xml":
		return true
	}
	return false
}
