// Package store opens the store a DSN names: the embedded SQLite file
// (sqlite:PATH) or PostgreSQL (postgres://…) for several replicas.
package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/embedscript"
)

// Store is everything oabadge keeps. Both stores implement all of it and
// pass the conformance suite in storetest.
type Store interface {
	campaign.Store
	campaign.Watcher
	auth.Store
	audit.Reader
	compliance.Store
	embedscript.Store
	Ping(ctx context.Context) error
	Close() error
	// Dump reads everything but sessions, for `oabadge migrate`.
	Dump(ctx context.Context) (*Dump, error)
	// Load writes d into an empty store (or, with replace, a store it
	// empties first), in one transaction.
	Load(ctx context.Context, d *Dump, replace bool) error
}

// IsPostgres reports whether dsn names PostgreSQL.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLitePath returns the file of a sqlite: DSN.
func SQLitePath(dsn string) (string, error) {
	p, ok := strings.CutPrefix(dsn, "sqlite:")
	p = strings.TrimPrefix(p, "//")
	if !ok || p == "" {
		return "", fmt.Errorf("--db %q: want sqlite:PATH or postgres://…", dsn)
	}
	return p, nil
}
