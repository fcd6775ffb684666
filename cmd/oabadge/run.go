package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// env is what a command gets from the process: its arguments, environment
// and standard streams, so tests run commands without touching globals.
type cmdEnv struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// command is one subcommand: its own flag set (the shared settings it
// takes, registered by config.Load, plus flags of its own), and what it
// does with the parsed configuration and the remaining arguments.
type command struct {
	name     string   // "rotate", or "admin add" for a subcommand of a group
	args     string   // what follows the flags in the usage line
	summary  string   // one line for 'oabadge help'
	settings []string // the shared settings it takes (nil: all of them)
	// flags registers the command's own flags on fs and returns the
	// function that runs it once they are parsed.
	flags func(fs *flag.FlagSet) func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error
}

// Settings that most commands share.
var (
	storeSettings = []string{"db", "audit-key-file", "log-format", "log-level"}
)

// commands lists every command; a group (admin, audit, agencies) lists
// each of its subcommands as its own command.
func commands() []*command {
	cmds := []*command{
		serveCmd(), rotateCmd(), historyCmd(),
		adminAddCmd(), adminTokenCmd(), adminRevokeCmd(), adminRoleCmd(),
	}
	cmds = append(cmds, adminLifecycleCmds()...)
	return append(cmds,
		auditVerifyCmd(), auditHeadCmd(),
		agenciesImportCmd(), agenciesExportCmd(),
		checkCmd(), cspMergeCmd(), posterCmd(), migrateCmd(),
	)
}

// run is the whole program, minus process globals, so tests can run it.
// It returns the exit code: 0 on success, 2 for bad usage, 1 otherwise,
// after printing one line saying what was wrong.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &cmdEnv{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	switch name {
	case "version":
		fmt.Fprintln(stdout, "oabadge", version)
		return 0
	case "help", "-h", "--help":
		printUsage(stdout)
		return 0
	}
	cmds := commands()
	var cmd *command
	groups := map[string][]string{}
	for _, c := range cmds {
		group, sub, isSub := strings.Cut(c.name, " ")
		if isSub {
			groups[group] = append(groups[group], sub)
		}
		if c.name == name {
			cmd = c
		}
	}
	if subs, ok := groups[name]; ok && cmd == nil {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			fmt.Fprintf(stderr, "oabadge %s: want one of: %s\n", name, strings.Join(subs, ", "))
			return 2
		}
		full := name + " " + args[0]
		for _, c := range cmds {
			if c.name == full {
				cmd = c
			}
		}
		if cmd == nil {
			fmt.Fprintf(stderr, "oabadge %s: unknown subcommand %q; want one of: %s\n", name, args[0], strings.Join(subs, ", "))
			return 2
		}
		args = args[1:]
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "oabadge: unknown command %q; run 'oabadge help'\n", name)
		return 2
	}
	err := cmd.run(ctx, e, args)
	var exit exitError
	var with exitWith
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		return int(exit)
	case errors.As(err, &with):
		fmt.Fprintf(stderr, "oabadge %s: %s\n", cmd.name, oneLine(with.err))
		return with.code
	case errors.Is(err, config.ErrUsage):
		fmt.Fprintf(stderr, "oabadge %s: %s; run 'oabadge %s -h' for the flags\n", cmd.name, oneLine(err), cmd.name)
		return 2
	}
	fmt.Fprintf(stderr, "oabadge %s: %s\n", cmd.name, oneLine(err))
	return 1
}

// exitError ends a command with its exit code, having said what it had to.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a command line that cannot be run as typed (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string        { return e.msg }
func (e usageError) Is(target error) bool { return target == config.ErrUsage }

// usageErr returns a usage error with a formatted message.
func usageErr(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// run parses the command's flags over the environment and defaults, then
// runs it. The flag package is kept quiet: a bad flag gets the one-line
// error run prints, and -h gets the command's own usage.
func (c *command) run(ctx context.Context, e *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("oabadge "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	do := c.flags(fs)
	cfg, rest, err := config.Load(fs, args, e.getenv, c.settings)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(e.stderr, "Usage: oabadge %s [flags] %s\n\n%s\n\nFlags:\n", c.name, c.args, c.summary)
		fs.SetOutput(e.stderr)
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return err
	}
	return do(ctx, e, cfg, rest)
}

// oneLine flattens err for the terminal: operators see the causes too.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

func printUsage(w io.Writer) {
	fmt.Fprint(w, "oabadge: QR badges for a Zalo Official Account, served to agency portals\n\nUsage:\n")
	cmds := commands()
	sort.SliceStable(cmds, func(i, j int) bool { return cmds[i].name == "serve" && cmds[j].name != "serve" })
	for _, c := range cmds {
		fmt.Fprintf(w, "  oabadge %s [flags] %s\n      %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprint(w, `  oabadge version
      print the version
  oabadge help
      print this text

With no command, oabadge serves. Every shared setting can also be given as
an OABADGE_* environment variable (--db is OABADGE_DB), or read from the
file named by OABADGE_*_FILE. Run 'oabadge COMMAND -h' for a command's flags.
`)
}

// open builds the application for a command-line command.
func open(ctx context.Context, e *cmdEnv, c config.Config) (*app.App, error) {
	return app.New(ctx, c, app.Options{Version: version})
}

// readAllLimited reads r up to n bytes, refusing more.
func readAllLimited(r io.Reader, n int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) >= n {
		return nil, fmt.Errorf("the input is longer than %d bytes", n-1)
	}
	return b, nil
}

// operator is who the audit trail says acted from the command line.
func operator(e *cmdEnv) auth.Caller { return auth.Operator(e.getenv("USER"), version) }
