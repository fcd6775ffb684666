package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/oabadge/oabadge/internal/config"
)

func rotateCmd() *command {
	return &command{
		name: "rotate", args: "SLUG URL", summary: "point campaign SLUG at URL as its next version, at once",
		settings: append([]string{"allow-hosts", "public-url", "purge"}, storeSettings...),
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			ifVersion := fs.Int64("if-version", 0, "rotate only if the campaign is at this version (0: whatever is current)")
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if *ifVersion < 0 {
					return usageErr("--if-version %d: want the campaign's current version, a number from 1", *ifVersion)
				}
				if len(rest) != 2 {
					return usageErr("want SLUG and URL, e.g. oabadge rotate bnv https://zalo.me/1234567890")
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				got, err := a.Campaigns.Rotate(ctx, rest[0], rest[1], *ifVersion, operator(e))
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s: version %d now points at %s\n", got.Slug, got.Version, got.Target)
				return nil
			}
		},
	}
}

func historyCmd() *command {
	return &command{
		name: "history", args: "SLUG", summary: "print SLUG's target history, newest first",
		settings: storeSettings,
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 1 {
					return usageErr("want one SLUG, e.g. oabadge history bnv")
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				revs, err := a.Campaigns.History(ctx, rest[0])
				if err != nil {
					return err
				}
				for _, r := range revs {
					fmt.Fprintf(e.stdout, "%d\t%s\t%s\t%s\n", r.Version, r.CreatedAt.Format(time.RFC3339), r.Actor, r.Target)
				}
				return nil
			}
		},
	}
}
