// Command oabadge serves QR badges that lead to a Zalo Official Account,
// for agency portals to hotlink or embed, and lets admins re-point every
// badge at once. Run `oabadge help` for its commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
