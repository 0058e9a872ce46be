package tui

import "testing"

// Ids as people paste them: from a log line, a traceparent header, a UI
// that upper-cases them or drops their leading zeros.
func TestParseTraceID(t *testing.T) {
	for _, tc := range []struct {
		in    string
		loose bool
		want  string
	}{
		{"4BF92F3577B34DA6A3CE929D0E0E4736", false, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ", false, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"a3ce929d0e0e4736", false, "a3ce929d0e0e4736"},
		{"0xa3ce929d0e0e4736", false, "a3ce929d0e0e4736"},
		{"abc", true, "0000000000000abc"},
		{"3577b34da6a3ce929d0e0e4736", true, "0000003577b34da6a3ce929d0e0e4736"},
		// Not ids: too short unless loose, not hex, all zeros, a command.
		{"abc", false, ""},
		{"deadbeef", false, ""},
		{"zz", true, ""},
		{"0000000000000000", false, ""},
		{"services", false, ""},
		{"", true, ""},
	} {
		got, ok := ParseTraceID(tc.in, tc.loose)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("ParseTraceID(%q, %v) = %q, %v; want %q", tc.in, tc.loose, got, ok, tc.want)
		}
	}
}

func TestOpenedTraces(t *testing.T) {
	var o OpenedTraces
	if o.Has("a3ce929d0e0e4736") || o.Version() != 0 {
		t.Fatal("a new set is not empty")
	}
	o.Add("A3CE929D0E0E4736")
	o.Add("a3ce929d0e0e4736")
	if !o.Has(" a3ce929d0e0e4736") || o.Version() != 1 {
		t.Errorf("after adding one id twice: has %v, version %d; want true, 1", o.Has("a3ce929d0e0e4736"), o.Version())
	}
	var none *OpenedTraces
	none.Add("x")
	if none.Has("x") || none.Version() != 0 {
		t.Error("a nil set records")
	}
}
