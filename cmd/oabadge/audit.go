package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/oabadge/oabadge/internal/config"
)

func auditVerifyCmd() *command {
	return &command{
		name: "audit verify", summary: "check the audit trail's hash chain; exit 1 naming the first bad entry",
		settings: storeSettings,
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 0 {
					return usageErr("unexpected argument %q", rest[0])
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				n, err := a.Store.VerifyAudit(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "audit trail intact: %d entries\n", n)
				return nil
			}
		},
	}
}
