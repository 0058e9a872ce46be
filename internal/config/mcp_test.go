package config

import (
	"strings"
	"testing"
)

func TestMCPKeys(t *testing.T) {
	isolate(t)
	d := Default().MCP
	if d.AllowSilence || d.MaxAnswerBytes != 8192 {
		t.Errorf("defaults = %+v, want read-only and 8192 bytes", d)
	}
	l, err := Load(writeConfig(t, "mcp: {allow_silence: true, max_answer_bytes: 16384}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !l.MCP.AllowSilence || l.MCP.MaxAnswerBytes != 16384 {
		t.Errorf("mcp = %+v", l.MCP)
	}
	t.Setenv("TRIAGE_MCP_ALLOW_SILENCE", "false")
	if l, err = Load(writeConfig(t, "mcp: {allow_silence: true}\n"), nil); err != nil || l.MCP.AllowSilence {
		t.Errorf("the environment does not turn silences off: %+v, %v", l, err)
	}
}

func TestMCPValidation(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"answer too small", "mcp: {max_answer_bytes: 100}\n", `mcp.max_answer_bytes = "100": expected a number of bytes between 2048 and 1048576`},
		{"answer too large", "mcp: {max_answer_bytes: 2000000}\n", `mcp.max_answer_bytes = "2000000"`},
		{"not a bool", "mcp: {allow_silence: maybe}\n", "mcp.allow_silence"},
		{"typo", "mcp: {allow_silences: true}\n", "mcp.allow_silences"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			isolate(t)
			_, err := Load(writeConfig(t, c.file), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}
