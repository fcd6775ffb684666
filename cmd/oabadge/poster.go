package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/config"
	"github.com/oabadge/oabadge/internal/poster"
	"github.com/oabadge/oabadge/internal/server"
)

func posterCmd() *command {
	return &command{
		name: "poster", args: "SLUG -o FILE.pdf", summary: "print-ready PDF poster for one-stop desks (one, or one per agency)",
		settings: append([]string{"public-url", "addr"}, storeSettings...),
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			paperName := fs.String("paper", "a4", "paper size: a4, a5 or a6")
			formName := fs.String("form", "poster", "what to print: poster, tent (an A4 card folded for a desk) or stickers (an A4 sheet of 24; with --placement, each its own code)")
			agencyText := fs.String("agency", "", "the agency line printed under the code")
			placement := fs.String("placement", "", "a placement code carried in the printed code, so scans count per desk (redirect-mode campaigns)")
			var outPath string
			fs.StringVar(&outPath, "o", "", "the PDF file to write (with --each-agency and without --one-file, a directory)")
			fs.StringVar(&outPath, "out", "", "the same as -o")
			bleed := fs.Bool("bleed", false, "add 3 mm of bleed with crop marks, for print shops")
			each := fs.Bool("each-agency", false, "one poster per agency in the register")
			oneFile := fs.Bool("one-file", false, "with --each-agency, all pages in one PDF")
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 1 {
					return usageErr("want one campaign, e.g. oabadge poster bnv -o poster.pdf")
				}
				if outPath == "" {
					return usageErr("-o is required: the PDF file (or, with --each-agency, the directory) to write")
				}
				paper, ok := poster.Papers[strings.ToLower(*paperName)]
				if !ok {
					return usageErr("--paper %q: want a4, a5 or a6", *paperName)
				}
				form, ok := poster.ParseForm(*formName)
				if !ok {
					return usageErr("--form %q: want poster, tent or stickers", *formName)
				}
				if form != poster.FormPoster && paper.Name != "a4" {
					return usageErr("--form %s prints on A4 only", form)
				}
				if form == poster.FormStickers && *each {
					return usageErr("--form stickers and --each-agency do not go together: a sheet is 24 stickers of one campaign")
				}
				if utf8.RuneCountInString(*agencyText) > server.MaxAgencyLine {
					return usageErr("--agency is longer than %d characters", server.MaxAgencyLine)
				}
				if *each && *agencyText != "" {
					return usageErr("--agency and --each-agency do not go together")
				}
				publicURLGiven := c.PublicURL != ""
				if !publicURLGiven {
					c.PublicURL = "http://" + c.Addr // a placeholder: refused below for codes that would print it
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				x, err := a.Campaigns.Get(ctx, rest[0])
				if err != nil {
					return err
				}
				if x.QRMode == campaign.Redirect && !publicURLGiven {
					return errors.New("this campaign's code encodes this server's URL: give it with --public-url")
				}
				// The code, the text and the emblem, read once; each poster
				// differs by its agency line alone.
				base, err := a.Campaigns.PrintContents(ctx, x, form, "", *placement)
				if err != nil {
					return err
				}
				opts := poster.Options{Form: form, Paper: paper, Bleed: *bleed}
				content := func(agency string) poster.Content {
					pc := base[0]
					pc.Agency = agency
					return pc
				}
				write := func(path string, cs []poster.Content) error {
					b, err := poster.Render(cs, opts)
					if err != nil {
						return err
					}
					if err := os.WriteFile(path, b, 0o644); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "%s: %d page(s), %s\n", path, len(cs), paper.Name)
					return nil
				}
				if form == poster.FormStickers {
					for i := range base {
						base[i].Agency = badge.CleanText(*agencyText)
					}
					return write(outPath, base)
				}
				if !*each {
					return write(outPath, []poster.Content{content(badge.CleanText(*agencyText))})
				}
				as, err := a.Compliance.Agencies(ctx)
				if err != nil {
					return err
				}
				if len(as) == 0 {
					return errors.New("the register is empty: import agencies first (oabadge agencies import FILE.csv)")
				}
				if *oneFile {
					cs := make([]poster.Content, len(as))
					for i, ag := range as {
						cs[i] = content(ag.Name)
					}
					return write(outPath, cs)
				}
				if err := os.MkdirAll(outPath, 0o755); err != nil {
					return err
				}
				for _, ag := range as {
					name := fmt.Sprintf("%s-%s-%03d.pdf", x.Slug, paper.Name, ag.ID)
					if err := write(filepath.Join(outPath, name), []poster.Content{content(ag.Name)}); err != nil {
						return err
					}
				}
				return nil
			}
		},
	}
}
