package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/embedscript"
)

var _ embedscript.Store = (*Store)(nil)

// OfferEmbedScript implements embedscript.Store. Replicas starting
// together may offer the same script: the first insert wins, the others
// read it back.
func (s *Store) OfferEmbedScript(ctx context.Context, sc embedscript.Script) (embedscript.Script, error) {
	if err := sc.Check(); err != nil {
		return sc, apperr.Invalidf("%v", err)
	}
	var out embedscript.Script
	err := s.offerEmbedScript(ctx, sc, &out)
	return out, err
}

func (s *Store) offerEmbedScript(ctx context.Context, sc embedscript.Script, out *embedscript.Script) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO embed_scripts (name, body, integrity, first_offered) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
			sc.Name, sc.Body, sc.Integrity, sc.FirstOffered); err != nil {
			return err
		}
		var err error
		*out, err = scanEmbedScript(tx.QueryRow(ctx, "SELECT name, body, integrity, first_offered FROM embed_scripts WHERE name = $1", sc.Name))
		return err
	})
}

// EmbedScript implements embedscript.Store.
func (s *Store) EmbedScript(ctx context.Context, name string) (embedscript.Script, error) {
	sc, err := scanEmbedScript(s.pool.QueryRow(ctx, "SELECT name, body, integrity, first_offered FROM embed_scripts WHERE name = $1", name))
	if errors.Is(err, pgx.ErrNoRows) {
		return sc, apperr.NotFoundf("no embed script %q", name)
	}
	return sc, classify(err)
}

// EmbedScripts implements embedscript.Store.
func (s *Store) EmbedScripts(ctx context.Context) ([]embedscript.Script, error) {
	rows, err := s.pool.Query(ctx, "SELECT name, body, integrity, first_offered FROM embed_scripts ORDER BY first_offered, name")
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []embedscript.Script
	for rows.Next() {
		sc, err := scanEmbedScript(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, classify(rows.Err())
}

func scanEmbedScript(r pgx.Row) (embedscript.Script, error) {
	var sc embedscript.Script
	err := r.Scan(&sc.Name, &sc.Body, &sc.Integrity, &sc.FirstOffered)
	sc.FirstOffered = utc(sc.FirstOffered)
	return sc, err
}
