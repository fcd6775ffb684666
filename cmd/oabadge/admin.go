package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/oabadge/oabadge/internal/app"
	"github.com/oabadge/oabadge/internal/config"
)

func adminAddCmd() *command {
	return &command{
		name: "admin add", args: "NAME --role ROLE",
		summary:  "add an account; the password is read from the terminal, or the first line of stdin",
		settings: storeSettings,
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			role := fs.String("role", "", "the account's role: viewer, editor or admin (required)")
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 1 {
					return usageErr("want one name, e.g. oabadge admin add alice --role admin")
				}
				if *role == "" {
					return usageErr("--role is required: viewer, editor or admin")
				}
				pw, err := readPassword(e.stdin, e.stderr)
				if err != nil {
					return err
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				acct, err := a.Auth.CreateAccount(ctx, rest[0], *role, pw, operator(e))
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "added %s account %s\n", acct.Role, acct.Name)
				return nil
			}
		},
	}
}

func adminTokenCmd() *command {
	return &command{
		name: "admin token", args: "ACCOUNT --role ROLE [--name NAME]",
		summary:  "print a new API token for ACCOUNT on stdout (shown only this once)",
		settings: storeSettings,
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			role := fs.String("role", "", "the token's role, no higher than the account's (required)")
			name := fs.String("name", "", "a name for the token, to tell it apart (default cli-DATE)")
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 1 {
					return usageErr("want one account, e.g. oabadge admin token alice --role editor")
				}
				if *role == "" {
					return usageErr("--role is required: viewer, editor or admin")
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				tname := *name
				if tname == "" {
					tname = "cli-" + time.Now().UTC().Format("20060102-150405")
				}
				t, secret, err := a.Auth.CreateToken(ctx, tname, *role, rest[0], operator(e))
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, secret)
				fmt.Fprintf(e.stderr, "token %s (%s, %s) for %s; it is shown only this once\n", t.ID, t.Name, t.Role, t.Account)
				return nil
			}
		},
	}
}

func adminRevokeCmd() *command {
	return &command{
		name: "admin revoke", args: "TOKEN_ID", summary: "revoke an API token",
		settings: storeSettings,
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 1 {
					return usageErr("want one token id, e.g. oabadge admin revoke 1a2b3c4d5e6f")
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				if err := a.Auth.RevokeToken(ctx, rest[0], operator(e)); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "revoked token %s\n", rest[0])
				return nil
			}
		},
	}
}

// readPassword reads a password: without echo from a terminal (twice, to
// catch typos), else the first line of stdin, for scripts.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}

// accountCmd is an admin subcommand that acts on one account by name.
func accountCmd(name, summary string, do func(ctx context.Context, e *cmdEnv, a *app.App, account string) (string, error)) *command {
	return &command{
		name: "admin " + name, args: "ACCOUNT", summary: summary,
		settings: storeSettings,
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 1 {
					return usageErr("want one account, e.g. oabadge admin %s alice", name)
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				msg, err := do(ctx, e, a, rest[0])
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, msg)
				return nil
			}
		},
	}
}

func adminLifecycleCmds() []*command {
	return []*command{
		accountCmd("disable", "disable an account: its sessions and tokens stop working at once",
			func(ctx context.Context, e *cmdEnv, a *app.App, name string) (string, error) {
				_, err := a.Auth.SetDisabled(ctx, name, true, operator(e))
				return "disabled " + name, err
			}),
		accountCmd("enable", "enable a disabled account",
			func(ctx context.Context, e *cmdEnv, a *app.App, name string) (string, error) {
				_, err := a.Auth.SetDisabled(ctx, name, false, operator(e))
				return "enabled " + name, err
			}),
		accountCmd("password", "set an account's password (read from the terminal, or the first line of stdin); its sessions end",
			func(ctx context.Context, e *cmdEnv, a *app.App, name string) (string, error) {
				pw, err := readPassword(e.stdin, e.stderr)
				if err != nil {
					return "", err
				}
				_, err = a.Auth.SetPassword(ctx, name, pw, "", "", operator(e))
				return "set the password of " + name + "; its sessions ended", err
			}),
		accountCmd("end-sessions", "sign an account out everywhere and revoke its API tokens",
			func(ctx context.Context, e *cmdEnv, a *app.App, name string) (string, error) {
				s, t, err := a.Auth.EndSessions(ctx, name, operator(e))
				return fmt.Sprintf("%s: %d session(s) ended, %d token(s) revoked", name, s, t), err
			}),
		accountCmd("reset-2fa", "remove an account's second factor (a lost phone); it enrolls again at its next sign-in",
			func(ctx context.Context, e *cmdEnv, a *app.App, name string) (string, error) {
				return "removed the second factor of " + name, a.Auth.ResetTOTP(ctx, name, "", operator(e))
			}),
	}
}

func adminRoleCmd() *command {
	return &command{
		name: "admin role", args: "ACCOUNT --role ROLE", summary: "change an account's role (from the command line it applies at once)",
		settings: storeSettings,
		flags: func(fs *flag.FlagSet) func(context.Context, *cmdEnv, config.Config, []string) error {
			role := fs.String("role", "", "the new role: viewer, editor or admin (required)")
			return func(ctx context.Context, e *cmdEnv, c config.Config, rest []string) error {
				if len(rest) != 1 || *role == "" {
					return usageErr("want one account and --role, e.g. oabadge admin role alice --role editor")
				}
				a, err := open(ctx, e, c)
				if err != nil {
					return err
				}
				defer a.Close()
				acct, err := a.Auth.SetRole(ctx, rest[0], *role, operator(e))
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s is %s\n", acct.Name, acct.Role)
				return nil
			}
		},
	}
}
