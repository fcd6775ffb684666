package storetest

import (
	"sync"

	"github.com/oabadge/oabadge/internal/audit"
)

var processKey = sync.OnceValue(func() audit.Key {
	k, err := audit.NewKey()
	if err != nil {
		panic(err)
	}
	return k
})

// Key returns the audit key every test of this process opens stores with,
// so a store shared between tests (a PostgreSQL test database, a SQLite
// file reopened) verifies with it.
func Key() audit.Key { return processKey() }
