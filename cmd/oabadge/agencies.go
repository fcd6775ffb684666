package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/config"
)

func agenciesImportCmd() *command {
	return &command{
		name: "agencies import", args: "FILE.csv",
		summary:  "import the agency register (name,kind,homepage[,parent,contact]); a file with any bad line imports nothing",
		settings: storeSettings,
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 1 {
					return usageErr("want one file, e.g. oabadge agencies import register.csv")
				}
				f, err := os.Open(rest[0])
				if err != nil {
					return err
				}
				defer f.Close()
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				created, updated, err := a.Compliance.Import(ctx, f, operator(e))
				if details := apperr.DetailsOf(err); len(details) > 0 {
					for _, d := range details {
						fmt.Fprintf(e.stderr, "%s:%d: %s\n", rest[0], d.Line, d.Reason)
					}
					return fmt.Errorf("%s: %d bad line(s); nothing was imported", rest[0], len(details))
				}
				if err != nil {
					return fmt.Errorf("%s: %w", rest[0], err)
				}
				fmt.Fprintf(e.stdout, "%s: %d agencies, %d new, %d updated\n", rest[0], created+updated, created, updated)
				return nil
			}
		},
	}
}

func agenciesExportCmd() *command {
	return &command{
		name: "agencies export", summary: "print the register as CSV (opens in Excel with Vietnamese intact)",
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
				as, err := a.Compliance.Agencies(ctx)
				if err != nil {
					return err
				}
				rows := make([][]string, 0, len(as))
				for _, x := range as {
					rows = append(rows, []string{x.Name, string(x.Kind), x.Homepage, x.Parent, x.Contact})
				}
				return compliance.WriteCSV(e.stdout, []string{"name", "kind", "homepage", "parent", "contact"}, rows)
			}
		},
	}
}
