package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oabadge/oabadge/internal/embedscript"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// TestEmbedScriptsTableMadeWhenSkipped plays a database numbered past the
// embed scripts' migration by a binary built without it: the table is
// made on first use and the script stored.
func TestEmbedScriptsTableMadeWhenSkipped(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"), storetest.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.db.ExecContext(ctx, "DROP TABLE embed_scripts"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EmbedScript(ctx, "v1-0000000000.js"); err == nil {
		t.Fatal("EmbedScript found a script in an empty table")
	}
	sc := embedscript.New(1, []byte("x"))
	if got, err := s.OfferEmbedScript(ctx, sc); err != nil || got.Name != sc.Name {
		t.Fatalf("OfferEmbedScript without the table: %+v, %v", got, err)
	}
	if list, err := s.EmbedScripts(ctx); err != nil || len(list) != 1 {
		t.Errorf("EmbedScripts = %d, %v; want the one offered", len(list), err)
	}
}
