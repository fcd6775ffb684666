package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoEchoMiddleware backs the govulncheck allowlist
// (internal/tools/vulngate/allow.txt): the Echo advisories there concern its
// rate-limiter and proxy middleware, and the binary must not even link the
// package that holds them.
func TestNoEchoMiddleware(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/oabadge/oabadge/cmd/oabadge").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/labstack/echo/v4/middleware" {
			t.Fatalf("cmd/oabadge links %s; the govulncheck allowlist assumes it does not: remove the import or re-assess GO-2026-6872 and GO-2026-6875", pkg)
		}
	}
}
