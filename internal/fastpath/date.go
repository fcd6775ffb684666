package fastpath

import (
	"net/http"
	"sync/atomic"
	"time"
)

// date is one second's Date header value.
type date struct {
	unix int64
	text []byte
}

var lastDate atomic.Pointer[date]

// AppendDate appends t in the form of HTTP's Date header, as net/http
// writes it. It formats once per second and otherwise copies.
func AppendDate(dst []byte, t time.Time) []byte {
	sec := t.Unix()
	if d := lastDate.Load(); d != nil && d.unix == sec {
		return append(dst, d.text...)
	}
	d := &date{unix: sec, text: t.UTC().AppendFormat(make([]byte, 0, len(http.TimeFormat)), http.TimeFormat)}
	lastDate.Store(d)
	return append(dst, d.text...)
}
