package store

import (
	"context"
	"fmt"
)

// Copied says what Copy copied: the rows of every table and the length of
// the audit chain it verified in the target.
type Copied struct {
	Rows  map[string]int
	Audit int64
}

// Copy copies every row from src to dst (refusing a non-empty dst unless
// replace), then verifies the copy: the same number of rows in every table
// and an intact audit chain. A source whose audit chain does not verify is
// not copied, so a migration cannot launder a tampered trail.
func Copy(ctx context.Context, src, dst Store, replace bool) (Copied, error) {
	if _, err := src.VerifyAudit(ctx); err != nil {
		return Copied{}, fmt.Errorf("the source's audit trail does not verify, so it is not copied: %w", err)
	}
	d, err := src.Dump(ctx)
	if err != nil {
		return Copied{}, fmt.Errorf("reading the source: %w", err)
	}
	if err := dst.Load(ctx, d, replace); err != nil {
		return Copied{}, fmt.Errorf("writing the target: %w", err)
	}
	got, err := dst.Dump(ctx)
	if err != nil {
		return Copied{}, fmt.Errorf("reading the target back: %w", err)
	}
	want, have := d.Sizes(), got.Sizes()
	for table, n := range want {
		if have[table] != n {
			return Copied{}, fmt.Errorf("verification: %s has %d rows in the target, %d in the source", table, have[table], n)
		}
	}
	// The target may hold scripts of its own already (a server started on
	// it offers its current one): every script of the source must be there.
	names := map[string]bool{}
	for _, sc := range got.EmbedScripts {
		names[sc.Name] = true
	}
	for _, sc := range d.EmbedScripts {
		if !names[sc.Name] {
			return Copied{}, fmt.Errorf("verification: the embed script %s is missing from the target", sc.Name)
		}
	}
	n, err := dst.VerifyAudit(ctx)
	if err != nil {
		return Copied{}, fmt.Errorf("verification: %w", err)
	}
	return Copied{Rows: want, Audit: n}, nil
}
