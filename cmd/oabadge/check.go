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
		name: "check",
		summary: "check every agency homepage for every campaign and save the results; " +
			"exit 1 when any agency does not show the badge (for cron and monitoring), 2 on bad usage or a failure",
		settings: append([]string{"public-url", "check-concurrency", "check-timeout", "check-allow-private", "screenshots"}, storeSettings...),
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			jsonOut := fs.Bool("json", false, "print one JSON object per result")
			render := fs.Bool("render", false, "also load pages that carry the badge in headless Chromium, screenshot it and scan its code")
			exitZero := fs.Bool("exit-zero", false, "exit 0 even when some agency does not show the badge")
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 0 {
					return usageErr("unexpected argument %q", rest[0])
				}
				if c.PublicURL == "" {
					return usageErr("--public-url is required: the checker looks for embeds pointing at it")
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return failure(err)
				}
				defer a.Close()
				results, err := a.Compliance.Check(ctx, *render, operator(e))
				if err != nil {
					return failure(err)
				}
				enc := json.NewEncoder(e.stdout)
				shown := 0
				for _, r := range results {
					if r.Shown() {
						shown++
					}
					if *jsonOut {
						if err := enc.Encode(r); err != nil {
							return failure(err)
						}
						continue
					}
					fmt.Fprintf(e.stdout, "%-12s %-10s %s (%s)", r.Status, r.Campaign, r.Agency, r.Reason)
					if r.Fix != "" {
						fmt.Fprintf(e.stdout, " fix: %s", strings.ReplaceAll(r.Fix, "\n", " | "))
					}
					if r.FixWhere != "" {
						fmt.Fprintf(e.stdout, " where: %s", r.FixWhere)
					}
					fmt.Fprintln(e.stdout)
				}
				fmt.Fprintf(e.stderr, "%d of %d checks found the badge shown to visitors\n", shown, len(results))
				if !compliance.AllShown(results) && !*exitZero {
					return exitError(1)
				}
				return nil
			}
		},
	}
}

// failure reports err and ends the command with status 2: for commands
// whose status 1 means something else (check: "not every portal shows it").
func failure(err error) error {
	return exitWith{2, err}
}

// exitWith ends a command with code after printing err.
type exitWith struct {
	code int
	err  error
}

func (e exitWith) Error() string { return e.err.Error() }
func (e exitWith) Unwrap() error { return e.err }

func cspMergeCmd() *command {
	return &command{
		name: "csp merge", args: "--snippet script|img|iframe [--cms nukeviet|wordpress|joomla] 'CURRENT POLICY'",
		summary:  "print the portal's Content-Security-Policy with this server added where the snippet needs it, and where to put it",
		settings: []string{"public-url"},
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			snippet := fs.String("snippet", "script", "the snippet the portal uses: script, img or iframe")
			cms := fs.String("cms", "", "the portal's CMS, for advice in its own menus: nukeviet, wordpress, joomla")
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if c.PublicURL == "" {
					return usageErr("--public-url is required: the origin to add to the policy")
				}
				if len(rest) > 1 {
					return usageErr("give the current policy as one argument, in quotes (or none, or - to read it from stdin)")
				}
				policy := ""
				if len(rest) == 1 {
					policy = rest[0]
				}
				if policy == "-" {
					b, err := readAllLimited(e.stdin, compliance.MaxPolicyLen+1)
					if err != nil {
						return err
					}
					policy = strings.TrimSpace(string(b))
				}
				form, err := compliance.ParseForm(*snippet)
				if err != nil {
					return usageErr("--snippet: %s", err)
				}
				kind := compliance.ParseCMS(*cms)
				if *cms != "" && kind == compliance.CMSUnknown {
					return usageErr("--cms %q: want nukeviet, wordpress or joomla", *cms)
				}
				adv, err := compliance.AdviseCSP(policy, c.PublicURL, form, kind)
				if err != nil {
					return err
				}
				if adv.Fix != "" {
					fmt.Fprintln(e.stdout, adv.Fix)
				}
				fmt.Fprintln(e.stderr, adv.Where)
				return nil
			}
		},
	}
}
