package app

import (
	"os/exec"
	"strings"
	"testing"
)

// goList runs `go list` with args in the module and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}

// The arrows point one way: the daemon and the MCP server link no UI, the engine no HTTP,
// and the console's pages never reach into the daemon.
func TestLayersPointOneWay(t *testing.T) {
	const mod = "github.com/triagectl/triage/"
	for _, dep := range goList(t, "-deps", mod+"serve/...") {
		for _, ui := range []string{"charm.land/bubbletea", "charm.land/lipgloss", "charm.land/bubbles"} {
			if strings.HasPrefix(dep, ui) {
				t.Errorf("the daemon (serve/...) links %s", dep)
			}
		}
	}
	for _, dep := range goList(t, "-deps", mod+"mcpserver/...") {
		if strings.HasPrefix(dep, mod+"tui") || strings.HasPrefix(dep, "charm.land/") {
			t.Errorf("the MCP server (mcpserver/...) links %s", dep)
		}
	}
	for _, dep := range goList(t, "-deps", mod+"triage/...") {
		if dep == "net/http" {
			t.Error("the engine (triage/...) links net/http")
		}
	}
	for _, line := range goList(t, "-f", `{{.ImportPath}}:{{join .Imports ","}}`, mod+"tui/...") {
		pkg, imports, _ := strings.Cut(line, ":")
		for _, imp := range strings.Split(imports, ",") {
			if strings.HasPrefix(imp, mod+"serve") || strings.HasPrefix(imp, mod+"sshconsole") || strings.HasPrefix(imp, mod+"internal/app") {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

// cmd/triage parses flags and prints: everything else is here. It reaches
// no backend client, bundle, store, daemon or console package itself.
func TestCommandsStayThin(t *testing.T) {
	const mod = "github.com/triagectl/triage/"
	for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, mod+"cmd/triage") {
		if !strings.HasPrefix(imp, mod) {
			continue
		}
		switch strings.TrimPrefix(imp, mod) {
		case "internal/app", "internal/config", "internal/output", "triage":
		default:
			t.Errorf("cmd/triage imports %s: its logic belongs in internal/app", imp)
		}
	}
}
