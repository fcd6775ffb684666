package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/store/storetest"
)

// testKeyFile holds storetest.Key, the audit key of every store this
// package's tests make: the commands they run (through env) and the
// processes they start (with --audit-key-file) use it.
var testKeyFile string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "oabadge-key-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testKeyFile = filepath.Join(dir, "audit.key")
	if err := audit.WriteKeyFile(testKeyFile, storetest.Key()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
