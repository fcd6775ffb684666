package storetest

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/campaign"
)

// blob is a stored emblem for the tests: the store keeps bytes, it does
// not read them, so they need not be a real PNG.
func blob(n byte) campaign.EmblemBlob {
	return campaign.EmblemBlob{ID: "00000000000" + string('0'+n), PNG: bytes.Repeat([]byte{0x89, 'P', 'N', 'G', n}, 100), CreatedAt: t0}
}

func runEmblems(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("PutAndRead", func(t *testing.T) {
		s := open(t)
		b := blob(1)
		if err := s.PutEmblem(ctx, b, alice); err != nil {
			t.Fatalf("PutEmblem: %v", err)
		}
		got, err := s.Emblem(ctx, b.ID)
		if err != nil || !reflect.DeepEqual(got, b) {
			t.Errorf("Emblem = %+v, %v; want %+v", got, err, b)
		}
		// The same bytes again: nothing changes, nothing is audited.
		if err := s.PutEmblem(ctx, b, bob); err != nil {
			t.Errorf("PutEmblem of the same blob again = %v, want nil", err)
		}
		other := b
		other.PNG = []byte("other bytes")
		if err := s.PutEmblem(ctx, other, bob); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("PutEmblem of other bytes under a stored id = %v, want Conflict", err)
		}
		if got, _ := s.Emblem(ctx, b.ID); !bytes.Equal(got.PNG, b.PNG) {
			t.Error("a conflicting PutEmblem replaced the stored bytes")
		}
		if _, err := s.Emblem(ctx, "0123456789ab"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("Emblem(unknown) = %v, want NotFound", err)
		}
		if got := auditActions(t, s); !reflect.DeepEqual(got, []string{"emblem.upload"}) {
			t.Errorf("audit = %v, want one upload", got)
		}
	})

	t.Run("CampaignNamesOne", func(t *testing.T) {
		s := open(t)
		if err := s.PutEmblem(ctx, blob(1), alice); err != nil {
			t.Fatal(err)
		}
		c := sample("bnv")
		c.Emblem, c.EmblemInCode = blob(1).ID, true
		mustCreate(t, s, c)
		if got, err := s.Campaign(ctx, "bnv"); err != nil || !reflect.DeepEqual(got, c) {
			t.Errorf("Campaign = %+v, %v; want %+v", got, err, c)
		}
		// Naming an emblem that is not stored is refused, and changes nothing.
		bad := c
		bad.Emblem = "0123456789ab"
		if _, err := s.Apply(ctx, campaign.Change{Kind: campaign.KindUpdate, State: bad, Expect: 1, At: t0.Add(time.Hour)}, bob); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("an update naming an unknown emblem = %v, want Invalid", err)
		}
		// Removing it.
		none := c
		none.Emblem, none.EmblemInCode = "", false
		got, err := s.Apply(ctx, campaign.Change{Kind: campaign.KindUpdate, State: none, Expect: 1, At: t0.Add(time.Hour)}, bob)
		if err != nil || got.Emblem != "" || got.EmblemInCode || got.Version != 2 {
			t.Errorf("removing the emblem = %+v, %v", got, err)
		}
		if read, _ := s.Campaign(ctx, "bnv"); read.Emblem != "" || read.EmblemInCode {
			t.Errorf("Campaign after removing the emblem = %+v", read)
		}
		want := []string{"emblem.upload", "campaign.create", "campaign.update"}
		if got := auditActions(t, s); !reflect.DeepEqual(got, want) {
			t.Errorf("audit = %v, want %v", got, want)
		}
	})

	t.Run("DumpAndLoad", func(t *testing.T) {
		s := open(t)
		dl, ok := s.(dumper)
		if !ok {
			t.Skip("store cannot dump")
		}
		for _, n := range []byte{1, 2} {
			if err := s.PutEmblem(ctx, blob(n), alice); err != nil {
				t.Fatal(err)
			}
		}
		c := sample("bnv")
		c.Emblem, c.EmblemInCode = blob(2).ID, true
		mustCreate(t, s, c)
		d, err := dl.Dump(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Emblems) != 2 || !reflect.DeepEqual(d.Emblems[1], blob(2)) || d.Sizes()["emblems"] != 2 {
			t.Fatalf("Dump holds emblems %+v", d.Emblems)
		}
		if err := dl.Load(ctx, d, false); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("Load into a store that is not empty = %v, want Conflict", err)
		}
		if err := dl.Load(ctx, d, true); err != nil {
			t.Fatalf("Load: %v", err)
		}
		again, err := dl.Dump(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again.Emblems, d.Emblems) || !reflect.DeepEqual(again.Campaigns, d.Campaigns) {
			t.Errorf("after Load, Dump = %+v / %+v; want %+v / %+v", again.Emblems, again.Campaigns, d.Emblems, d.Campaigns)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Errorf("the loaded trail: %v", err)
		}
	})
}
