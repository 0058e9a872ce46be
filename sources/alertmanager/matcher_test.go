package alertmanager

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMatchersForAlert(t *testing.T) {
	got := MatchersForAlert(map[string]string{
		"service": "checkout", "alertname": "HighErrorRate", "env": "", "severity": "critical",
	})
	want := []Matcher{
		{Name: "alertname", Value: "HighErrorRate", IsEqual: true},
		{Name: "service", Value: "checkout", IsEqual: true},
		{Name: "severity", Value: "critical", IsEqual: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("MatchersForAlert = %+v\nwant %+v", got, want)
	}
	if got := MatchersForAlert(nil); len(got) != 0 {
		t.Fatalf("no labels gave %v", got)
	}
}

func TestParseMatcher(t *testing.T) {
	tests := []struct {
		in      string
		want    Matcher
		wantErr string
	}{
		{in: `alertname="HighErrorRate"`, want: Matcher{Name: "alertname", Value: "HighErrorRate", IsEqual: true}},
		{in: ` service != "checkout" `, want: Matcher{Name: "service", Value: "checkout"}},
		{in: `service=~"check.*|pay"`, want: Matcher{Name: "service", Value: "check.*|pay", IsRegex: true, IsEqual: true}},
		{in: `env!~"dev|test"`, want: Matcher{Name: "env", Value: "dev|test", IsRegex: true}},
		{in: `job=api`, want: Matcher{Name: "job", Value: "api", IsEqual: true}},
		{in: `msg="say \"hi\"\n"`, want: Matcher{Name: "msg", Value: "say \"hi\"\n", IsEqual: true}},
		{in: `env=""`, want: Matcher{Name: "env", IsEqual: true}},
		{in: `alertname`, wantErr: "has no operator"},
		{in: `="x"`, wantErr: "has no label name"},
		{in: `a!x`, wantErr: "has no operator"},
		{in: `a="unterminated`, wantErr: "bad quoted value"},
		{in: `a=~"("`, wantErr: "bad regexp"},
	}
	for _, tc := range tests {
		got, err := ParseMatcher(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseMatcher(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseMatcher(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		// String renders what ParseMatcher reads back.
		if back, err := ParseMatcher(got.String()); err != nil || back != got {
			t.Errorf("round trip of %q via %q = %+v, %v", tc.in, got.String(), back, err)
		}
	}
}

func TestMatcherMatches(t *testing.T) {
	tests := []struct {
		m     Matcher
		value string
		want  bool
	}{
		{Equal("service", "checkout"), "checkout", true},
		{Equal("service", "checkout"), "checkout-v2", false},
		{Matcher{Name: "service", Value: "checkout"}, "payments", true},
		{Matcher{Name: "service", Value: "check.*", IsRegex: true, IsEqual: true}, "checkout", true},
		{Matcher{Name: "service", Value: "check", IsRegex: true, IsEqual: true}, "checkout", false}, // anchored
		{Matcher{Name: "service", Value: "check.*", IsRegex: true}, "checkout", false},
		{Matcher{Name: "service", Value: "(", IsRegex: true, IsEqual: true}, "(", false},
		{Equal("env", ""), "", true},
	}
	for _, tc := range tests {
		if got := tc.m.Matches(tc.value); got != tc.want {
			t.Errorf("%s matches %q = %v, want %v", tc.m, tc.value, got, tc.want)
		}
	}
}

func TestValidateSilence(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	ok := Silence{
		Matchers: []Matcher{Equal("alertname", "HighErrorRate")},
		StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "oncall", Comment: "deploy rollback",
	}
	tests := []struct {
		name    string
		edit    func(*Silence)
		wantErr string
	}{
		{"valid", func(*Silence) {}, ""},
		{"zero start means now", func(s *Silence) { s.StartsAt = time.Time{} }, ""},
		{"no matchers", func(s *Silence) { s.Matchers = nil }, "at least one matcher"},
		{"matcher without name", func(s *Silence) { s.Matchers = []Matcher{Equal(" ", "x")} }, "matchers[0] has no label name"},
		{"bad regex", func(s *Silence) { s.Matchers = []Matcher{{Name: "a", Value: "(", IsRegex: true, IsEqual: true}} }, "bad regexp"},
		{"only negative matchers", func(s *Silence) { s.Matchers = []Matcher{{Name: "service", Value: "checkout"}} }, "must not match the empty string"},
		{"only empty equality", func(s *Silence) { s.Matchers = []Matcher{Equal("env", "")} }, "must not match the empty string"},
		{"ends before start", func(s *Silence) { s.EndsAt = now.Add(-time.Minute) }, "is not after startsAt"},
		{"ends at start", func(s *Silence) { s.EndsAt = s.StartsAt }, "is not after startsAt"},
		{"ends in the past", func(s *Silence) { s.StartsAt, s.EndsAt = now.Add(-2*time.Hour), now.Add(-time.Hour) }, "is in the past"},
		{"no createdBy", func(s *Silence) { s.CreatedBy = "  " }, "createdBy is empty"},
		{"no comment", func(s *Silence) { s.Comment = "" }, "comment is empty"},
	}
	for _, tc := range tests {
		s := ok
		s.Matchers = append([]Matcher(nil), ok.Matchers...)
		tc.edit(&s)
		err := ValidateSilence(s, now)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}
