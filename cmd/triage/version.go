package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…" (make
// build does). Without it, triageVersion reads what the Go toolchain
// records: `go install …@v1.2.0` records the module version v1.2.0, a
// build in a git checkout a pseudo-version and the commit.
var version = ""

// triageVersion is the version this binary says it is.
func triageVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	return versionOf(version, info)
}

// versionOf is the version from the ldflags value, else from the build
// info: the main module's version and the VCS commit, "dev" when neither
// is known.
func versionOf(ldflags string, info *debug.BuildInfo) string {
	v := strings.TrimSpace(ldflags)
	if v == "" && info != nil && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if v == "" {
		v = "dev"
	}
	if info == nil {
		return v
	}
	var rev, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" || strings.Contains(v, rev) {
		// A pseudo-version names its commit already.
		return v
	}
	detail := []string{"commit " + rev}
	if when != "" {
		detail = append(detail, when)
	}
	if modified {
		detail = append(detail, "modified")
	}
	return fmt.Sprintf("%s (%s)", v, strings.Join(detail, ", "))
}

func (a *cli) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Long: `Print the version: the one given at build time (make build), else the
module version and commit the Go toolchain recorded (go install
github.com/triagectl/triage/cmd/triage@v1.2.0 says v1.2.0).`,
		Example: "  triage version",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.stdout, "triage", triageVersion())
			return nil
		},
	}
}
