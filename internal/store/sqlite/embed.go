package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/embedscript"
)

var _ embedscript.Store = (*Store)(nil)

// OfferEmbedScript implements embedscript.Store.
func (s *Store) OfferEmbedScript(ctx context.Context, sc embedscript.Script) (embedscript.Script, error) {
	if err := sc.Check(); err != nil {
		return sc, apperr.Invalidf("%v", err)
	}
	var out embedscript.Script
	err := s.offerEmbedScript(ctx, sc, &out)
	return out, err
}

func (s *Store) offerEmbedScript(ctx context.Context, sc embedscript.Script, out *embedscript.Script) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO embed_scripts (name, body, integrity, first_offered) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
			sc.Name, sc.Body, sc.Integrity, formatTime(sc.FirstOffered)); err != nil {
			return err
		}
		var err error
		*out, err = scanEmbedScript(tx.QueryRowContext(ctx, "SELECT name, body, integrity, first_offered FROM embed_scripts WHERE name = ?", sc.Name))
		return err
	})
}

// EmbedScript implements embedscript.Store.
func (s *Store) EmbedScript(ctx context.Context, name string) (embedscript.Script, error) {
	sc, err := scanEmbedScript(s.db.QueryRowContext(ctx, "SELECT name, body, integrity, first_offered FROM embed_scripts WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return sc, apperr.NotFoundf("no embed script %q", name)
	}
	return sc, classify(err)
}

// EmbedScripts implements embedscript.Store.
func (s *Store) EmbedScripts(ctx context.Context) ([]embedscript.Script, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT name, body, integrity, first_offered FROM embed_scripts ORDER BY first_offered, name")
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

func scanEmbedScript(r scanner) (embedscript.Script, error) {
	var sc embedscript.Script
	var at string
	if err := r.Scan(&sc.Name, &sc.Body, &sc.Integrity, &at); err != nil {
		return sc, err
	}
	var err error
	sc.FirstOffered, err = parseTime(at)
	return sc, err
}
