package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/embedscript"
)

// embedScripts checks what a store remembers of the embed scripts
// offered: exact bytes by name, the first offer's time, forever.
func embedScripts(t *testing.T, open Opener) {
	ctx := context.Background()
	s, ok := open(t).(embedscript.Store)
	if !ok {
		t.Fatal("the store does not implement embedscript.Store")
	}
	v1 := embedscript.New(1, []byte("/*! oabadge embed */(function(){var B=\"https://badge.example.gov.vn\"})()"))
	v1.FirstOffered = t0
	// Bytes a text column would mangle: NUL, invalid UTF-8, CR LF.
	v2 := embedscript.New(2, []byte("a\x00b\xff\r\nc"))
	v2.FirstOffered = t0.Add(time.Hour)

	got, err := s.OfferEmbedScript(ctx, v1)
	if err != nil || !sameScript(got, v1) {
		t.Fatalf("OfferEmbedScript(v1) = %+v, %v; want it stored as given", got, err)
	}
	later := v1
	later.FirstOffered = t0.Add(24 * time.Hour)
	if got, err := s.OfferEmbedScript(ctx, later); err != nil || !got.FirstOffered.Equal(t0) {
		t.Errorf("offering v1 again: %+v, %v; want the first offer's time %v kept", got.FirstOffered, err, t0)
	}
	if _, err := s.OfferEmbedScript(ctx, v2); err != nil {
		t.Fatal(err)
	}
	for _, want := range []embedscript.Script{v1, v2} {
		got, err := s.EmbedScript(ctx, want.Name)
		if err != nil || !sameScript(got, want) {
			t.Errorf("EmbedScript(%s) = %q, %v; want the exact bytes %q", want.Name, got.Body, err, want.Body)
		}
	}
	if _, err := s.EmbedScript(ctx, "v1-0000000000.js"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("EmbedScript of an unknown name: %v, want NotFound", err)
	}
	list, err := s.EmbedScripts(ctx)
	if err != nil || len(list) != 2 || list[0].Name != v1.Name || list[1].Name != v2.Name {
		t.Errorf("EmbedScripts = %d scripts, %v; want v1 then v2", len(list), err)
	}
	forged := v2
	forged.Body = []byte("something else")
	if _, err := s.OfferEmbedScript(ctx, forged); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("offering bytes under another script's name: %v, want Invalid", err)
	}
	if got, _ := s.EmbedScript(ctx, v2.Name); !bytes.Equal(got.Body, v2.Body) {
		t.Errorf("after a refused offer %s holds %q", v2.Name, got.Body)
	}
}

func sameScript(a, b embedscript.Script) bool {
	return a.Name == b.Name && bytes.Equal(a.Body, b.Body) && a.Integrity == b.Integrity && a.FirstOffered.Equal(b.FirstOffered)
}
