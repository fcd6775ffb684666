package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/config"
)

func auditVerifyCmd() *command {
	return &command{
		name: "audit verify", args: "[--head SEQ:HASH]",
		summary:  "check the audit trail's keyed chain (and that it still holds a head recorded earlier); exit 1 naming the first bad entry",
		settings: storeSettings,
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			head := fs.String("head", "", "a head printed earlier by 'oabadge audit head': the trail must still hold it, unchanged")
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 0 {
					return usageErr("unexpected argument %q", rest[0])
				}
				var recorded audit.Head
				if *head != "" {
					h, err := audit.ParseHead(*head)
					if err != nil {
						return usageErr("--head: %v", err)
					}
					recorded = h
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				v, err := a.Store.CheckAudit(ctx, recorded)
				if err != nil {
					return err
				}
				if recorded.IsZero() {
					fmt.Fprintf(e.stdout, "audit trail intact: %d entries, head %s, %s\n", v.Entries, v.Head, a.AuditKey)
				} else {
					fmt.Fprintf(e.stdout, "audit trail intact: %d entries, head %s, %s; entry %d is unchanged since it was recorded\n", v.Entries, v.Head, a.AuditKey, recorded.Seq)
				}
				return nil
			}
		},
	}
}

func auditHeadCmd() *command {
	return &command{
		name: "audit head",
		summary: "verify the audit trail and print its head (SEQ:HASH): record it outside the database, " +
			"then 'oabadge audit verify --head SEQ:HASH' proves nothing up to it was rewritten or removed",
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
				v, err := a.Store.CheckAudit(ctx, audit.Head{})
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, v.Head)
				return nil
			}
		},
	}
}
