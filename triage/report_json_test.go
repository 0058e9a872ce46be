package triage_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/triage"
)

// A version 1 report (what old bundles and stored reports hold) reads into
// the model with nothing lost: its alert start, errors, freshness and
// timeline are the ones it wrote, and it writes out as version 2.
func TestReadVersion1(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "report", "db-region.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v1 map[string]any
	if err := json.Unmarshal(raw, &v1); err != nil {
		t.Fatal(err)
	}
	if v1["version"] != 1.0 {
		t.Fatalf("the fixture is version %v, want 1", v1["version"])
	}
	r := loadReport(t, "db-region.json")
	wantStart, _ := time.Parse(time.RFC3339Nano, v1["alert"].(map[string]any)["startsAt"].(string))
	if !r.Alert.StartsAt.Equal(wantStart) || r.Version != triage.ReportVersion {
		t.Errorf("starts at %v (version %d), want %v", r.Alert.StartsAt, r.Version, wantStart)
	}
	if r.Timeline == nil || r.Timeline.BeforeAlert != 60 {
		t.Errorf("timeline %+v, want 60 s before the alert", r.Timeline)
	}
	// Read as written, to 0.1 ms: the figure every writer shows.
	if len(r.Services) == 0 || *r.Services[0].P99MS != 2589.5 || r.Traces[0].DurationMS != 2037.7 {
		t.Errorf("p99 %v, first trace %v ms: want 2589.5 and 2037.7", *r.Services[0].P99MS, r.Traces[0].DurationMS)
	}

	// Version 1 with the fields version 2 renames: freshness in seconds.
	v1src := `{"version":1,"alert":{"name":"A","labels":{},"annotations":{},"startsAt":"2026-01-02T03:04:05Z","fingerprint":"","scope":{"service":"","service_label":""}},
	"window":{"start":"2026-01-02T02:49:05Z","end":"2026-01-02T03:09:05Z","baseline_start":"2026-01-02T01:49:05Z","baseline_end":"2026-01-02T02:09:05Z"},
	"sources":[{"name":"loki","state":"ok","latency_ms":12,"error":"","queries":[],"freshness_seconds":2.5,
	"freshness":{"newest":"2026-01-02T03:04:02.5Z","age_seconds":2.5,"of":"log line of checkout","lagging":false,"query":"{x}"}}],
	"impact":null,"services":null,"users":null,"differences":null,"log_patterns":null,"traces":null}`
	var old triage.Report
	if err := json.Unmarshal([]byte(v1src), &old); err != nil {
		t.Fatal(err)
	}
	s := old.Sources[0]
	if s.FreshnessSeconds == nil || *s.FreshnessSeconds != 2.5 || s.Freshness == nil || s.Freshness.AgeSeconds != 2.5 || s.Freshness.Of != "log line of checkout" {
		t.Errorf("freshness read as %+v / %+v", s.FreshnessSeconds, s.Freshness)
	}
	out := string(marshal(t, &old))
	for _, want := range []string{`"version":2`, `"starts_at":"2026-01-02T03:04:05Z"`, `"freshness_ms":2500`, `"age_ms":2500`} {
		if !strings.Contains(out, want) {
			t.Errorf("version 2 lacks %s:\n%s", want, out)
		}
	}
	for _, gone := range []string{`"error"`, `"fingerprint"`, `"service"`, `startsAt`, `_seconds`, `""`} {
		if strings.Contains(out, gone) {
			t.Errorf("version 2 holds %s:\n%s", gone, out)
		}
	}
}

// Version 2 reads back into the same model: what a daemon stores and a
// bundle records comes back as it was, durations to 0.1 ms.
func TestVersion2RoundTrip(t *testing.T) {
	r := loadReport(t, "db-region.json")
	age := 3.25
	r.Sources[1].FreshnessSeconds = &age
	r.Sources[1].Freshness = &triage.Freshness{Newest: r.Window.End.Add(-3250 * time.Millisecond), AgeSeconds: age, Of: "log line of checkout", Query: "{service_name=\"checkout\"}"}
	r.Demo = true
	r.Links = []triage.ReportLink{{Title: "failing traces", Source: "tempo", URL: "https://grafana.example/explore"}}
	var back triage.Report
	if err := json.Unmarshal(marshal(t, r), &back); err != nil {
		t.Fatal(err)
	}
	want := r.Clone()
	for i := range want.Services {
		if p := want.Services[i].P99MS; p != nil {
			v := float64(int64(*p*10+0.5)) / 10
			want.Services[i].P99MS = &v
		}
	}
	for i := range want.Traces {
		want.Traces[i].DurationMS = float64(int64(want.Traces[i].DurationMS*10+0.5)) / 10
	}
	if !reflect.DeepEqual(marshal(t, want), marshal(t, &back)) || !reflect.DeepEqual(back.Services, want.Services) ||
		!reflect.DeepEqual(back.Traces, want.Traces) || !reflect.DeepEqual(back.Sources, want.Sources) || !back.Demo || len(back.Links) != 1 {
		t.Errorf("round trip changed the report:\n%s\nwant\n%s", marshal(t, &back), marshal(t, want))
	}
}

// Durations are milliseconds rounded to 0.1: p99, trace durations, the
// slow threshold, freshness and the timeline's lead.
func TestDurationsInMillis(t *testing.T) {
	p99 := 2589.4831460674172
	age := 1.23456
	r := &triage.Report{
		Sources:  []triage.SourceStatus{{Name: "loki", State: triage.StateOK, Queries: []string{}, FreshnessSeconds: &age, Freshness: &triage.Freshness{AgeSeconds: age}}},
		Impact:   &triage.Impact{SlowThresholdMS: 1000.04},
		Services: []triage.ServiceRank{{Name: "payments", P99MS: &p99}},
		Traces:   []triage.TraceRow{{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", DurationMS: 2037.6992}},
		Timeline: &triage.Timeline{BeforeAlert: 60.00004},
	}
	var doc struct {
		Sources []struct {
			FreshnessMS float64 `json:"freshness_ms"`
			Freshness   struct {
				AgeMS float64 `json:"age_ms"`
			}
		}
		Impact struct {
			SlowThresholdMS float64 `json:"slow_threshold_ms"`
		}
		Services []struct {
			P99MS float64 `json:"p99_ms"`
		}
		Traces []struct {
			DurationMS float64 `json:"duration_ms"`
		}
		Timeline struct {
			BeforeAlertMS float64 `json:"before_alert_ms"`
		}
	}
	if err := json.Unmarshal(marshal(t, r), &doc); err != nil {
		t.Fatal(err)
	}
	got := []float64{doc.Sources[0].FreshnessMS, doc.Sources[0].Freshness.AgeMS, doc.Impact.SlowThresholdMS, doc.Services[0].P99MS, doc.Traces[0].DurationMS, doc.Timeline.BeforeAlertMS}
	want := []float64{1234.6, 1234.6, 1000, 2589.5, 2037.7, 60000}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("durations %v, want %v", got, want)
	}
	if *r.Services[0].P99MS != p99 {
		t.Error("writing the JSON rounded the report itself")
	}
}

// A report from a newer triage is refused, not misread.
func TestNewerVersionRefused(t *testing.T) {
	var r triage.Report
	err := json.Unmarshal([]byte(`{"version":3,"alert":{"name":"A"}}`), &r)
	if err == nil || !strings.Contains(err.Error(), "report version 3; this triage reads up to version 2") {
		t.Fatalf("err = %v", err)
	}
}
