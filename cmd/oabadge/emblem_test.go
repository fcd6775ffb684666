package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/store/postgres"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// TestReplicasShareTheEmblem: an emblem uploaded through one replica is
// kept in PostgreSQL, so the others serve it (the PNG and every badge
// with it) without anything but the database in common.
func TestReplicasShareTheEmblem(t *testing.T) {
	dsn := pgDSN(t)
	emptyPG(t, dsn)
	bin := buildBinary(t)
	ctx := context.Background()
	if code := run(ctx, []string{"admin", "add", "alice", "--role", "admin", "--db", dsn}, env(), strings.NewReader("mật-khẩu-đủ-dài-1\n"), io.Discard, io.Discard); code != 0 {
		t.Fatal("admin add failed")
	}
	var tok strings.Builder
	run(ctx, []string{"admin", "token", "alice", "--role", "admin", "--db", dsn}, env(), nil, &tok, io.Discard)
	token := strings.TrimSpace(tok.String())
	rs := []*replica{startReplica(t, bin, dsn), startReplica(t, bin, dsn)}
	send := func(method, url, ctype, ifMatch string, body []byte) (int, string) {
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", ctype)
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := send("POST", rs[0].base+"/api/v1/admin/campaigns", "application/json", "",
		[]byte(`{"slug":"bnv","title":"Zalo OA Bộ Nội vụ","caption":"Quét mã QR để theo dõi Zalo OA Bộ Nội vụ","target":"https://zalo.me/1"}`)); code != 201 {
		t.Fatalf("creating the campaign = %d %s", code, body)
	}
	waitVersion(t, rs, 1, time.Now())
	card := func(r *replica) []byte {
		_, b := get(t, r.base+"/b/bnv.png?layout=card&size=384")
		return b
	}
	before := card(rs[1])

	svg, err := os.ReadFile(filepath.Join("..", "..", "internal", "badge", "testdata", "emblem.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := send("PUT", rs[0].base+"/api/v1/admin/campaigns/bnv/emblem", "image/svg+xml", `"1"`, svg); code != 200 {
		t.Fatalf("uploading the emblem through the first replica = %d %s", code, body)
	}
	waitVersion(t, rs, 2, time.Now())
	_, js := getJSON(rs[1].base, "/api/v1/campaigns/bnv")
	images, _ := js["images"].(map[string]any)
	u, _ := images["emblem"].(string)
	i := strings.Index(u, "/emblems/")
	if i < 0 {
		t.Fatalf("the second replica's JSON names no emblem: %v", js)
	}
	r1, png1 := get(t, rs[1].base+u[i:])
	_, png0 := get(t, rs[0].base+u[i:])
	if r1.StatusCode != 200 || !bytes.HasPrefix(png1, []byte("\x89PNG")) || !bytes.Equal(png0, png1) {
		t.Errorf("the second replica serves the emblem %d (%d bytes), the first %d bytes", r1.StatusCode, len(png1), len(png0))
	}
	if after := card(rs[1]); bytes.Equal(after, before) || !bytes.Equal(after, card(rs[0])) {
		t.Error("the second replica's card does not show the emblem the first one does")
	}
	st, err := postgres.Open(ctx, dsn, storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
}
