package loki_test

import (
	"testing"

	"github.com/triagectl/triage/sources/loki"
)

func TestTraceQuery(t *testing.T) {
	const id = "4bf92f3577b34da6a3ce929d0e0e473b"
	cases := []struct {
		name       string
		services   []string
		structured bool
		want       string
	}{
		{"two services, structured", []string{"checkout", "payments"}, true,
			`{service_name=~"checkout|payments"} | trace_id="` + id + `"`},
		{"two services, line filter", []string{"checkout", "payments"}, false,
			`{service_name=~"checkout|payments"} |= "` + id + `"`},
		{"one service is an exact match", []string{"payments"}, true,
			`{service_name="payments"} | trace_id="` + id + `"`},
		{"duplicates and empties dropped", []string{"payments", "", "payments"}, true,
			`{service_name="payments"} | trace_id="` + id + `"`},
		{"no service matches any", nil, true,
			`{service_name=~".+"} | trace_id="` + id + `"`},
		{"regexp metacharacters quoted", []string{"api.v2", "a|b", "c+d"}, true,
			`{service_name=~"api\\.v2|a\\|b|c\\+d"} | trace_id="` + id + `"`},
		{"string escapes", []string{`we"ird\svc`}, false,
			`{service_name="we\"ird\\svc"} |= "` + id + `"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := loki.TraceQuery(tc.services, id, tc.structured); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if got := loki.TraceQuery([]string{"a"}, `x" or "y`, false); got != `{service_name="a"} |= "x\" or \"y"` {
		t.Fatalf("trace id not quoted: %s", got)
	}
}
