// Command vulngate runs govulncheck and fails when it finds a vulnerability
// that our code reaches (a symbol-level finding) and that the allowlist does
// not name. Findings only in modules or packages we do not call are printed
// and pass.
//
//	go run ./internal/tools/vulngate -db file://DIR -allow internal/tools/vulngate/allow.txt ./...
//
// The allowlist has one advisory per line: its id, then the reason it does
// not apply to oabadge. Lines starting with # are comments. An entry that no
// longer matches any finding is reported, so the list does not rot.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// message is the part of govulncheck's JSON stream the gate reads.
type message struct {
	Finding *struct {
		OSV   string `json:"osv"`
		Trace []struct {
			Module   string `json:"module"`
			Package  string `json:"package"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
}

func main() {
	db := flag.String("db", "", "govulncheck database (-db), e.g. file:///tmp/vulndb")
	allowPath := flag.String("allow", "internal/tools/vulngate/allow.txt", "allowlist file")
	flag.Parse()
	if err := run(*db, *allowPath, flag.Args(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(1)
	}
}

func run(db, allowPath string, pkgs []string, out io.Writer) error {
	allow, err := readAllow(allowPath)
	if err != nil {
		return err
	}
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	args := append([]string{"tool", "govulncheck", "-format", "json"}, pkgs...)
	if db != "" {
		args = append([]string{"tool", "govulncheck", "-db", db, "-format", "json"}, pkgs...)
	}
	cmd := exec.Command("go", args...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("govulncheck: %w", err)
	}
	reached, other, summaries, err := parse(&stdout)
	if err != nil {
		return err
	}
	var bad []string
	for _, id := range sorted(reached) {
		if why, ok := allow[id]; ok {
			fmt.Fprintf(out, "allowed  %s  %s\n         why: %s\n", id, summaries[id], why)
			continue
		}
		fmt.Fprintf(out, "REACHED  %s  %s\n", id, summaries[id])
		bad = append(bad, id)
	}
	for _, id := range sorted(other) {
		if !reached[id] {
			fmt.Fprintf(out, "not called  %s  %s\n", id, summaries[id])
		}
	}
	for id := range allow {
		if !reached[id] {
			fmt.Fprintf(out, "note: %s is allowlisted but no longer reached; remove it from %s\n", id, allowPath)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d reachable vulnerabilit(ies) not in %s: %s", len(bad), allowPath, strings.Join(bad, ", "))
	}
	fmt.Fprintf(out, "no reachable vulnerability outside the allowlist (%d allowed)\n", len(reached))
	return nil
}

// parse reads govulncheck's JSON stream: a sequence of objects.
func parse(r io.Reader) (reached, other map[string]bool, summaries map[string]string, err error) {
	reached, other, summaries = map[string]bool{}, map[string]bool{}, map[string]string{}
	dec := json.NewDecoder(r)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, nil, fmt.Errorf("reading govulncheck's output: %w", err)
		}
		if m.OSV != nil {
			summaries[m.OSV.ID] = m.OSV.Summary
		}
		if f := m.Finding; f != nil && len(f.Trace) > 0 {
			if f.Trace[0].Function != "" {
				reached[f.OSV] = true
			} else {
				other[f.OSV] = true
			}
		}
	}
	return reached, other, summaries, nil
}

func readAllow(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	allow := map[string]string{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, why, _ := strings.Cut(line, " ")
		if why = strings.TrimSpace(why); why == "" {
			return nil, fmt.Errorf("%s:%d: %s has no reason; write why it does not apply", path, n, id)
		}
		allow[id] = why
	}
	return allow, sc.Err()
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
