package purge_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/purge"
)

func TestParseEndpoints(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []purge.Endpoint
	}{
		{"http://127.0.0.1:6081/", []purge.Endpoint{{"PURGE", "http://127.0.0.1:6081/"}}},
		{" BAN http://varnish/ , purge https://cdn.example.net/purge/{key}?token=s3cret",
			[]purge.Endpoint{{"BAN", "http://varnish/"}, {"PURGE", "https://cdn.example.net/purge/{key}?token=s3cret"}}},
		{"", nil},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := purge.ParseEndpoints(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("endpoint %d: got %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
	for _, bad := range []string{"varnish:6081", "ftp://x/", "PURGE", "PU-RGE http://x/", "http:///nohost", "http://x/#frag", "GET\thttp://x/"} {
		t.Run("refuses "+bad, func(t *testing.T) {
			if _, err := purge.ParseEndpoints(bad); err == nil || !strings.Contains(err.Error(), "purge endpoint 1") {
				t.Errorf("ParseEndpoints(%q) = %v, want an error naming the purge endpoint", bad, err)
			}
		})
	}
	// A bad endpoint is named by its place, never by its URL, which may
	// hold a token.
	_, err := purge.ParseEndpoints("http://varnish/, cdn.example.net/purge?token=s3cret")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "purge endpoint 2") {
		t.Errorf("ParseEndpoints with a bad second endpoint = %v", err)
	}
}

func TestEndpointNameHidesCredentials(t *testing.T) {
	e := purge.Endpoint{Method: "POST", URL: "https://user:pw@api.cdn.example.net/purge/{key}?token=s3cret"}
	if s := e.String(); strings.Contains(s, "pw") || strings.Contains(s, "s3cret") || !strings.Contains(s, "api.cdn.example.net") {
		t.Errorf("String() = %q: want the host without credentials", s)
	}
}

// cache is a stand-in for a shared cache's purge endpoint: a real HTTP
// server recording what it is sent, answering with the statuses queued.
type cache struct {
	*httptest.Server
	mu       sync.Mutex
	got      []string // "METHOD path surrogate-key"
	statuses []int
	block    chan struct{} // when set, requests wait for it
}

func newCache(t *testing.T, statuses ...int) *cache {
	c := &cache{statuses: statuses}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		block := c.block
		c.mu.Unlock()
		if block != nil {
			<-block
		}
		c.mu.Lock()
		c.got = append(c.got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Surrogate-Key"))
		code := http.StatusOK
		if len(c.statuses) > 0 {
			code, c.statuses = c.statuses[0], c.statuses[1:]
		}
		c.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *cache) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

// outcomes records what the observer is told.
type outcomes struct {
	mu      sync.Mutex
	got     []string
	pending int // the last count of pending purges
}

func (o *outcomes) Purge(_, result string) {
	o.mu.Lock()
	o.got = append(o.got, result)
	o.mu.Unlock()
}
func (o *outcomes) PurgePending(n int) {
	o.mu.Lock()
	o.pending = n
	o.mu.Unlock()
}
func (o *outcomes) list() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.got, ",")
}

func wait(t *testing.T, p *purge.Purger) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("purges still pending: %v", err)
	}
}

func TestPurgeSendsTheKeyToEveryEndpoint(t *testing.T) {
	a, b := newCache(t), newCache(t)
	p := purge.New(purge.Config{Endpoints: []purge.Endpoint{
		{Method: "PURGE", URL: a.URL + "/"},
		{Method: "POST", URL: b.URL + "/service/purge/{key}"},
	}})
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	p.Invalidate("bnv")
	wait(t, p)
	if got := a.requests(); len(got) != 1 || got[0] != "PURGE / campaign-bnv" {
		t.Errorf("first endpoint got %q", got)
	}
	if got := b.requests(); len(got) != 1 || got[0] != "POST /service/purge/campaign-bnv campaign-bnv" {
		t.Errorf("second endpoint got %q", got)
	}
	for _, st := range p.Status() {
		if st.LastOK.IsZero() || st.Failed != 0 || st.Pending != 0 {
			t.Errorf("status %+v: want a success, no failure, nothing pending", st)
		}
	}
}

func TestPurgeRetriesWithBackoffThenReports(t *testing.T) {
	flaky := newCache(t, 503, 502, 200)
	dead := newCache(t, 500, 500, 500)
	obs := &outcomes{}
	p := purge.New(purge.Config{
		Endpoints: []purge.Endpoint{{Method: "PURGE", URL: flaky.URL}},
		Attempts:  3, Backoff: time.Millisecond, Observer: obs,
	})
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	p.Invalidate("bnv")
	wait(t, p)
	if got := obs.list(); got != "retry,retry,ok" {
		t.Errorf("flaky endpoint: outcomes %q, want retry,retry,ok", got)
	}
	// The gauge comes back to 0 once the worker is idle (Wait returns as
	// it goes idle; the gauge follows in the same step).
	deadline := time.Now().Add(10 * time.Second)
	for {
		obs.mu.Lock()
		n := obs.pending
		obs.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending gauge stays at %d with nothing left to send", n)
		}
		time.Sleep(time.Millisecond)
	}
	if st := p.Status()[0]; st.Failed != 0 || st.LastOK.IsZero() {
		t.Errorf("flaky endpoint status %+v", st)
	}

	obs = &outcomes{}
	p2 := purge.New(purge.Config{
		Endpoints: []purge.Endpoint{{Method: "PURGE", URL: dead.URL}},
		Attempts:  3, Backoff: time.Millisecond, Observer: obs,
	})
	t.Cleanup(func() { _ = p2.Close(context.Background()) })
	p2.Invalidate("bnv")
	wait(t, p2)
	if got := obs.list(); got != "retry,retry,failed" {
		t.Errorf("dead endpoint: outcomes %q, want retry,retry,failed", got)
	}
	st := p2.Status()[0]
	if st.Failed != 1 || !strings.Contains(st.LastError, "campaign-bnv") || !strings.Contains(st.LastError, "500") || st.LastErrorAt.IsZero() {
		t.Errorf("dead endpoint status %+v: want one failure naming the key and the status", st)
	}
	if n := len(dead.requests()); n != 3 {
		t.Errorf("dead endpoint was sent %d requests, want 3 attempts", n)
	}
}

// A cache that hangs delays neither the change (Invalidate returns at
// once) nor the other caches.
func TestASlowEndpointBlocksNothing(t *testing.T) {
	slow, fast := newCache(t), newCache(t)
	release := make(chan struct{})
	slow.block = release
	p := purge.New(purge.Config{Endpoints: []purge.Endpoint{{Method: "PURGE", URL: slow.URL}, {Method: "PURGE", URL: fast.URL}}})
	t.Cleanup(func() { _ = p.Close(context.Background()) })

	done := make(chan struct{})
	go func() {
		for range 100 {
			p.Invalidate("bnv")
			p.Invalidate("moh")
		}
		close(done)
	}()
	<-done // would hang here if Invalidate waited for the slow cache

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(fast.requests()) < 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("the fast cache got %q while the slow one hung", fast.requests())
		case <-time.After(5 * time.Millisecond):
		}
	}
	// Keys waiting behind the hung request are coalesced: at most one
	// more of each is sent once it answers.
	if st := p.Status()[0]; st.Pending > 3 {
		t.Errorf("slow endpoint has %d pending, want the two keys coalesced (≤ 3)", st.Pending)
	}
	close(release)
	wait(t, p)
	if n := len(slow.requests()); n > 3 {
		t.Errorf("slow endpoint got %d purges for two keys queued 100 times each: want them coalesced", n)
	}
}

func TestCloseWaitsForQueuedPurges(t *testing.T) {
	c := newCache(t)
	p := purge.New(purge.Config{Endpoints: []purge.Endpoint{{Method: "BAN", URL: c.URL}}})
	p.Invalidate("bnv")
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := c.requests(); len(got) != 1 || got[0] != "BAN / campaign-bnv" {
		t.Errorf("after Close the cache got %q", got)
	}
}

func TestCloseGivesUpWhenTheContextEnds(t *testing.T) {
	c := newCache(t)
	release := make(chan struct{})
	c.block = release
	defer close(release)
	p := purge.New(purge.Config{Endpoints: []purge.Endpoint{{Method: "PURGE", URL: c.URL}}})
	p.Invalidate("bnv")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Close(ctx); err == nil {
		t.Error("Close with an ended context and a hung cache returned nil")
	}
}

func TestNoEndpointsIsANoOp(t *testing.T) {
	p := purge.New(purge.Config{})
	if p.Enabled() {
		t.Error("a purger without endpoints says it is enabled")
	}
	p.Invalidate("bnv")
	wait(t, p)
	var nilP *purge.Purger
	nilP.Invalidate("bnv") // a nil Purger is allowed, as for no endpoints
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
