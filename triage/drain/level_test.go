package drain

import "testing"

func TestNormalizeLevel(t *testing.T) {
	tests := map[string]string{
		"error": "error", "ERROR": "error", "err": "error", "Err": "error", "fatal": "error",
		"CRITICAL": "error", "panic": "error", "emerg": "error",
		"warn": "warn", "WARN": "warn", "warning": "warn", "Warning": "warn",
		"info": "info", "INFO": "info", "notice": "info",
		"debug": "debug", "trace": "debug",
		"": "", "unknown": "", "errors": "", "warnings-and-more-than-sixteen": "", "\xff": "",
	}
	for in, want := range tests {
		if got := NormalizeLevel(in); got != want {
			t.Errorf("NormalizeLevel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLogLevelOf(t *testing.T) {
	tests := []struct {
		name, level, line, want string
	}{
		{"source level wins", "warn", `level=error msg="x"`, "warn"},
		{"source level spelled oddly", "WARNING", "x", "warn"},
		{"unknown source level reads the line", "unknown", `level=error msg="x"`, "error"},
		{"logfmt", "", `ts=2024-05-01T03:10:05Z level=warn msg="slow"`, "warn"},
		{"logfmt upper case", "", `level=ERROR msg="x"`, "error"},
		{"logrus", "", `time="2024-05-01T03:10:05Z" level=warning msg="retrying request"`, "warn"},
		{"logfmt quoted", "", `level="error" msg="x"`, "error"},
		{"lvl", "", `lvl=crit msg="x"`, "error"},
		{"json", "", `{"level":"error","msg":"charge failed"}`, "error"},
		{"json spaced", "", `{"ts": 1, "severity": "WARNING", "msg": "x"}`, "warn"},
		{"field inside a value is not a level", "", `msg="xlevel=error" level=info`, "info"},
		{"nginx", "", `2024/05/01 03:10:05 [error] 3124#3124: *88121 connect() failed`, "error"},
		{"nginx warn", "", `2024/05/01 03:10:05 [warn] 3125#3125: *1 an upstream response is buffered`, "warn"},
		{"spring", "", `2024-05-01 03:10:05.123 ERROR 1 --- [nio-8080-exec-7] c.e.shop.OrderController : Failed`, "error"},
		{"python", "", `ERROR:root:payment failed`, ""},
		{"bracketed upper", "", `[WARN] disk almost full`, "warn"},
		{"colon", "", `ERROR: user 'alice' not found`, "error"},
		{"glog", "", `E0501 03:10:05.123456    1 controller.go:88] sync failed`, "error"},
		{"glog warning", "", `W0501 03:10:05.123456    1 controller.go:88] slow`, "warn"},
		{"ansi colours", "", "\x1b[31mERROR\x1b[0m payment failed", "error"},
		{"prose is not a level", "", `error while reading config, retrying`, ""},
		{"info", "", `INFO started`, "info"},
		{"nothing", "", `GET /healthz 200`, ""},
		{"invalid utf-8", "", "\xff\xfe level=error", "error"},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LevelOf(tt.level, tt.line); got != tt.want {
				t.Errorf("LevelOf(%q, %q) = %q, want %q", tt.level, tt.line, got, tt.want)
			}
		})
	}
}
