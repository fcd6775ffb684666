package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/store"
)

func migrateCmd() *command {
	return &command{
		name: "migrate", args: "--from DSN --to DSN [--force]",
		summary:  "copy everything from one store to another (e.g. sqlite:data/oabadge.db to postgres://…) and verify the copy",
		settings: []string{"audit-key-file"},
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			from := fs.String("from", "", "the store to copy from (a DSN)")
			to := fs.String("to", "", "the store to copy into (a DSN)")
			force := fs.Bool("force", false, "replace the content of a store that is not empty")
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) > 0 {
					return usageErr("unexpected argument %q", rest[0])
				}
				if *from == "" || *to == "" {
					return usageErr("want --from DSN --to DSN, e.g. --from sqlite:data/oabadge.db --to postgres://oabadge@db/oabadge")
				}
				if *from == *to {
					return usageErr("--from and --to name the same store")
				}
				// One key for both: the copy's trail is the source's, and
				// must verify with the key that sealed it.
				key, err := app.AuditKey(*from, c.AuditKeyFile)
				if err != nil {
					return err
				}
				src, err := app.Open(ctx, *from, key)
				if err != nil {
					return fmt.Errorf("--from: %w", err)
				}
				defer src.Close()
				dst, err := app.Open(ctx, *to, key)
				if err != nil {
					return fmt.Errorf("--to: %w", err)
				}
				defer dst.Close()
				got, err := store.Copy(ctx, src, dst, *force)
				if err != nil {
					return err
				}
				n := got.Rows
				fmt.Fprintf(e.stdout, "copied %d campaigns, %d history rows, %d proposals, %d emblems, %d accounts, %d tokens, %d agencies, %d counts, %d checks; audit trail of %d entries verified\n",
					n["campaigns"], n["targets"], n["proposals"], n["emblems"], n["accounts"], n["tokens"], n["agencies"], n["counts"], n["checks"], got.Audit)
				fmt.Fprintf(e.stdout, "the copy's audit trail is sealed with %s: start every server and command on it with that key file (--audit-key-file)\n", key)
				return nil
			}
		},
	}
}
