package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/embedscript"
)

var _ embedscript.Store = (*Store)(nil)

// embedMigration makes the table. withEmbedTable runs it again for a
// database whose version was already past its number when it arrived
// (numbered by a binary built without it), which migrate skips.
const embedMigration = "migrations/0010_embed_scripts.sql"

// withEmbedTable runs fn, and once more after making the table if fn
// found none (42P01). Replicas doing it at once may collide on the
// catalogue (42P07, 23505): the table is there all the same.
func (s *Store) withEmbedTable(ctx context.Context, fn func() error) error {
	err := fn()
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) || pe.Code != "42P01" {
		return err
	}
	ddl, rerr := migrations.ReadFile(embedMigration)
	if rerr != nil {
		return err
	}
	if _, cerr := s.pool.Exec(ctx, string(ddl)); cerr != nil && (!errors.As(cerr, &pe) || pe.Code != "42P07" && pe.Code != "23505") {
		return classify(cerr)
	}
	return fn()
}

// OfferEmbedScript implements embedscript.Store. Replicas starting
// together may offer the same script: the first insert wins, the others
// read it back.
func (s *Store) OfferEmbedScript(ctx context.Context, sc embedscript.Script) (embedscript.Script, error) {
	if err := sc.Check(); err != nil {
		return sc, apperr.Invalidf("%v", err)
	}
	var out embedscript.Script
	err := s.withEmbedTable(ctx, func() error { return s.offerEmbedScript(ctx, sc, &out) })
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
	var sc embedscript.Script
	err := s.withEmbedTable(ctx, func() (err error) {
		sc, err = scanEmbedScript(s.pool.QueryRow(ctx, "SELECT name, body, integrity, first_offered FROM embed_scripts WHERE name = $1", name))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return sc, apperr.NotFoundf("no embed script %q", name)
	}
	return sc, classify(err)
}

// EmbedScripts implements embedscript.Store.
func (s *Store) EmbedScripts(ctx context.Context) ([]embedscript.Script, error) {
	var rows pgx.Rows
	err := s.withEmbedTable(ctx, func() (err error) {
		rows, err = s.pool.Query(ctx, "SELECT name, body, integrity, first_offered FROM embed_scripts ORDER BY first_offered, name")
		return err
	})
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
