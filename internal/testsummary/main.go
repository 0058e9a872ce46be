// Command testsummary reads `go test -json` on stdin and prints a compact
// run: package results, the output of failed tests, every skipped test with
// its reason, which backends ran live, and a closing count line. It exits
// non-zero if anything failed.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

type key struct{ pkg, test string }

func main() {
	live := flag.String("live", "", "file of backend lines written by internal/testenv")
	verbose := flag.Bool("v", false, "echo every test's output")
	flag.Parse()
	os.Exit(summarize(os.Stdin, os.Stdout, *live, *verbose))
}

func summarize(in io.Reader, out io.Writer, liveFile string, verbose bool) int {
	outputs := map[key]*strings.Builder{}
	var passed, failed, skipped int
	var failures, skips []string
	var pkgFailed []string
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			fmt.Fprintln(out, string(line)) // build errors arrive as plain text
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			b := outputs[k]
			if b == nil {
				b = &strings.Builder{}
				outputs[k] = b
			}
			b.WriteString(e.Output)
			if verbose {
				fmt.Fprint(out, e.Output)
			}
		case "pass", "fail", "skip":
			if e.Test == "" {
				elapsed := time.Duration(e.Elapsed * float64(time.Second)).Round(10 * time.Millisecond)
				switch e.Action {
				case "fail":
					pkgFailed = append(pkgFailed, e.Package)
					fmt.Fprintf(out, "FAIL\t%s\t%s\n", e.Package, elapsed)
					if b := outputs[k]; b != nil && !verbose {
						fmt.Fprint(out, indent(b.String()))
					}
				case "pass":
					fmt.Fprintf(out, "ok\t%s\t%s\n", e.Package, elapsed)
				}
				continue
			}
			if strings.Contains(e.Test, "/") && e.Action != "fail" {
				continue // count top-level tests and failing subtests only
			}
			switch e.Action {
			case "pass":
				passed++
			case "fail":
				failed++
				failures = append(failures, e.Package+" "+e.Test)
				if b := outputs[k]; b != nil && !verbose {
					fmt.Fprintf(out, "--- FAIL: %s (%s)\n%s", e.Test, e.Package, indent(b.String()))
				}
			case "skip":
				skipped++
				skips = append(skips, fmt.Sprintf("%s %s: %s", shortPkg(e.Package), e.Test, skipReason(outputs[k])))
			}
		}
	}
	fmt.Fprintln(out)
	if liveFile != "" {
		printLive(out, liveFile)
	}
	if len(skips) > 0 {
		sort.Strings(skips)
		fmt.Fprintf(out, "Skipped tests (%d):\n", len(skips))
		for _, s := range skips {
			fmt.Fprintln(out, "  "+s)
		}
	}
	if len(failures) > 0 {
		fmt.Fprintf(out, "Failed tests (%d):\n", len(failures))
		for _, f := range failures {
			fmt.Fprintln(out, "  "+f)
		}
	}
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || len(pkgFailed) > 0 {
		return 1
	}
	return 0
}

func shortPkg(p string) string {
	return strings.TrimPrefix(p, "github.com/triagectl/triage/")
}

// skipReason pulls the t.Skip message out of a test's output.
func skipReason(b *strings.Builder) string {
	if b == nil {
		return "no reason given"
	}
	var reason string
	for _, l := range strings.Split(b.String(), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		if i := strings.Index(l, ".go:"); i >= 0 {
			if j := strings.Index(l[i:], ": "); j >= 0 {
				l = l[i+j+2:]
			}
		}
		reason = l
	}
	if reason == "" {
		return "no reason given"
	}
	return reason
}

// printLive prints which backends ran live, once each.
func printLive(out io.Writer, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	seen := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(l, "\t", 3)
		if len(parts) != 3 {
			continue
		}
		state, name, detail := parts[0], parts[1], parts[2]
		prev, ok := seen[name]
		switch {
		case state == "exited" || state == "restarted":
			// A backend that died under a test, and whether the harness
			// started it again, follow its live line.
			seen[name] = strings.TrimPrefix(prev+"; then ", "; then ") + state + ": " + detail
			continue
		case ok && strings.HasPrefix(prev, "live"):
			continue
		}
		seen[name] = state + ": " + detail
	}
	if len(seen) == 0 {
		return
	}
	fmt.Fprintln(out, "Backends:")
	main := []string{"prometheus", "loki", "alertmanager", "tempo"}
	for _, name := range main {
		if s, ok := seen[name]; ok {
			fmt.Fprintf(out, "  %-12s %s\n", name, s)
		} else {
			fmt.Fprintf(out, "  %-12s not used by any test\n", name)
		}
	}
	var extra []string
	for name := range seen {
		if !slices.Contains(main, name) {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		fmt.Fprintf(out, "  %-12s %s\n", name, seen[name])
	}
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
