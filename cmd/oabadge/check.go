package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/config"
)

func checkCmd() *command {
	return &command{
		name: "check", summary: "check every agency homepage for every campaign and save the results",
		settings: append([]string{"public-url", "check-concurrency", "check-timeout"}, storeSettings...),
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			jsonOut := fs.Bool("json", false, "print one JSON object per result")
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 0 {
					return usageErr("unexpected argument %q", rest[0])
				}
				if c.PublicURL == "" {
					return usageErr("--public-url is required: the checker looks for embeds pointing at it")
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				results, err := a.Compliance.Check(ctx, operator(e))
				if err != nil {
					return err
				}
				enc := json.NewEncoder(e.stdout)
				embedded := 0
				for _, r := range results {
					if r.Status == compliance.Embedded {
						embedded++
					}
					if *jsonOut {
						if err := enc.Encode(r); err != nil {
							return err
						}
						continue
					}
					fmt.Fprintf(e.stdout, "%-12s %-10s %s (%s)", r.Status, r.Campaign, r.Agency, r.Reason)
					if r.Fix != "" {
						fmt.Fprintf(e.stdout, " fix: %s", strings.ReplaceAll(r.Fix, "\n", " | "))
					}
					fmt.Fprintln(e.stdout)
				}
				fmt.Fprintf(e.stderr, "%d of %d checks found the badge embedded\n", embedded, len(results))
				return nil
			}
		},
	}
}
