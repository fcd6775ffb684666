package campaign_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
)

func emblemFile(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../badge/testdata/emblem.svg")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var card = badge.Variant{Format: badge.PNG, Layout: badge.LayoutCard, Size: 384, Density: 1}

// TestEmblemIsAChangeUnderTheRules: uploading is inert; naming the emblem
// is a proposal for an editor; approving serves it, in every badge and
// poster, decoded once per version.
func TestEmblemIsAChangeUnderTheRules(t *testing.T) {
	ctx := context.Background()
	svc, _, obs := newService(t, "")
	create(t, svc, bnv)
	plain, _ := badgeOf(ctx, svc, "bnv", card)

	if _, err := svc.UploadEmblem(ctx, emblemFile(t), viewer); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("a viewer's upload = %v, want Forbidden", err)
	}
	id, err := svc.UploadEmblem(ctx, emblemFile(t), editor)
	if err != nil || !campaign.ValidEmblemID(id) {
		t.Fatalf("UploadEmblem = %q, %v", id, err)
	}
	if again, err := svc.UploadEmblem(ctx, emblemFile(t), editor2); err != nil || again != id {
		t.Errorf("the same file again = %q, %v; want %q", again, err, id)
	}
	if e, _ := svc.Lookup(ctx, "bnv"); e.Emblem() != nil {
		t.Error("an uploaded emblem is served before any change names it")
	}
	_, p, err := svc.Update(ctx, "bnv", campaign.Update{Emblem: &id}, 1, editor)
	if err != nil || p == nil {
		t.Fatalf("an editor naming the emblem = %v, %v; want a proposal", p, err)
	}
	if a, _ := badgeOf(ctx, svc, "bnv", card); !bytes.Equal(a.Body, plain.Body) {
		t.Error("the proposed emblem is drawn before approval")
	}
	if _, err := svc.Approve(ctx, p.ID, admin); err != nil {
		t.Fatal(err)
	}
	e, _ := svc.Lookup(ctx, "bnv")
	if e.Emblem() == nil || e.Emblem().ID() != id {
		t.Fatalf("after approval the entry's emblem is %v", e.Emblem())
	}
	renders := obs.renders.Load()
	a, _ := badgeOf(ctx, svc, "bnv", card)
	if bytes.Equal(a.Body, plain.Body) || obs.renders.Load() != renders+1 {
		t.Error("the approved emblem is not drawn on the card")
	}
	if png, err := svc.EmblemPNG(id); err != nil || !bytes.HasPrefix(png.Body, []byte("\x89PNG")) {
		t.Errorf("EmblemPNG = %v, %v", png, err)
	}
	pc, err := svc.PosterContent(ctx, served(svc, "bnv"), "UBND xã A", "")
	if err != nil || pc.Emblem == nil || pc.Emblem.ID() != id || pc.EmblemInCode || pc.Agency != "UBND xã A" {
		t.Errorf("PosterContent = %+v, %v; want the emblem beside the title", pc, err)
	}
	// A later change of something else keeps the decoded emblem.
	title := "Zalo OA Bộ Nội vụ (mới)"
	if _, _, err := svc.Update(ctx, "bnv", campaign.Update{Title: &title}, 2, admin); err != nil {
		t.Fatal(err)
	}
	if e2, _ := svc.Lookup(ctx, "bnv"); e2.Emblem() != e.Emblem() {
		t.Error("a change of title decoded the emblem again")
	}
}

// TestEmblemChecks: what next refuses about an emblem, at proposal and
// again at approval.
func TestEmblemChecks(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t, "")
	create(t, svc, bnv)
	unknown, bad, on := "0123456789ab", "../etc", true
	for _, tt := range []struct {
		name string
		u    campaign.Update
		want string
	}{
		{"never uploaded", campaign.Update{Emblem: &unknown}, "has not been uploaded"},
		{"not an id", campaign.Update{Emblem: &bad}, "not an emblem id"},
		{"in the code without one", campaign.Update{EmblemInCode: &on}, "needs an emblem"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := svc.Update(ctx, "bnv", tt.u, 1, admin)
			if apperr.KindOf(err) != apperr.Invalid || !bytes.Contains([]byte(apperr.Message(err)), []byte(tt.want)) {
				t.Errorf("Update = %v, want Invalid saying %q", err, tt.want)
			}
		})
	}
	// Removing the emblem takes it out of the code too.
	id, err := svc.UploadEmblem(ctx, emblemFile(t), admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Update(ctx, "bnv", campaign.Update{Emblem: &id, EmblemInCode: &on}, 1, admin); err != nil {
		t.Fatal(err)
	}
	c, _, err := svc.RemoveEmblem(ctx, "bnv", 2, admin)
	if err != nil || c.Emblem != "" || c.EmblemInCode {
		t.Errorf("RemoveEmblem = %+v, %v", c, err)
	}
	if _, err := svc.EmblemPNG(id); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("EmblemPNG of an emblem no longer shown = %v, want NotFound", err)
	}
	// A refused file stores nothing and changes nothing.
	if _, _, err := svc.UpdateWithEmblem(ctx, "bnv", campaign.Update{}, []byte("GIF89a"), 3, admin); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("UpdateWithEmblem(a GIF) = %v, want Invalid", err)
	}
	if _, _, err := svc.UpdateWithEmblem(ctx, "bnv", campaign.Update{}, emblemFile(t), 2, admin); apperr.KindOf(err) != apperr.PreconditionFailed {
		t.Errorf("UpdateWithEmblem at a stale version = %v, want PreconditionFailed", err)
	}
	if c, _ := svc.Get(ctx, "bnv"); c.Version != 3 {
		t.Errorf("refused changes moved the campaign to version %d", c.Version)
	}
}

// TestOtherProcessesSeeTheEmblem: a second service on the same store (a
// replica) serves the emblem another one applied.
func TestOtherProcessesSeeTheEmblem(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	svc, _, _ := newService(t, path)
	create(t, svc, bnv)
	other, _, _ := newService(t, path)
	if _, _, err := svc.UpdateWithEmblem(ctx, "bnv", campaign.Update{}, emblemFile(t), 1, admin); err != nil {
		t.Fatal(err)
	}
	if err := other.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	a, _ := badgeOf(ctx, svc, "bnv", card)
	b, _ := badgeOf(ctx, other, "bnv", card)
	if a == nil || b == nil || !bytes.Equal(a.Body, b.Body) {
		t.Error("the other process draws another card")
	}
	id := served(svc, "bnv").Emblem
	if p, err := other.EmblemPNG(id); err != nil || len(p.Body) == 0 {
		t.Errorf("the other process's EmblemPNG = %v, %v", p, err)
	}
}

// TestDocumentsAreMadeOncePerVersion: the public JSON is built once per
// campaign version, and the list once per change, not per refresh.
func TestDocumentsAreMadeOncePerVersion(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t, "")
	create(t, svc, bnv)
	builds := 0
	doc := func(c campaign.Campaign) ([]byte, error) { builds++; return []byte(c.Target), nil }
	list := func(cs []campaign.Campaign) ([]byte, error) { builds++; return []byte(cs[0].Target), nil }
	for range 3 {
		e, _ := svc.Lookup(ctx, "bnv")
		if _, err := e.Document(doc); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ListDocument(list); err != nil {
			t.Fatal(err)
		}
		if err := svc.Refresh(ctx); err != nil { // nothing changed
			t.Fatal(err)
		}
	}
	if builds != 2 {
		t.Errorf("%d builds for one version, want 2 (the campaign, the list)", builds)
	}
	if _, err := svc.Rotate(ctx, "bnv", "https://zalo.me/2222", 1, testActor); err != nil {
		t.Fatal(err)
	}
	e, _ := svc.Lookup(ctx, "bnv")
	d, _ := e.Document(doc)
	l, _ := svc.ListDocument(list)
	if string(d.Identity().Bytes) != "https://zalo.me/2222" || string(l.Identity().Bytes) != "https://zalo.me/2222" || builds != 4 {
		t.Errorf("after a rotation: %q, %q after %d builds", d.Identity().Bytes, l.Identity().Bytes, builds)
	}
}
