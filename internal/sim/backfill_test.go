package sim

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/encoding/protowire"
)

type rwSample struct {
	v float64
	t int64 // ms
}

// rwSink decodes remote-write 1.0 requests into series keyed by their labels.
type rwSink struct {
	mu       sync.Mutex
	series   map[string][]rwSample
	labels   map[string]map[string]string
	requests int
	maxBatch int
	errs     []string
}

func (s *rwSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(msg string) {
		s.errs = append(s.errs, msg)
		http.Error(w, msg, http.StatusBadRequest)
	}
	if r.URL.Path != "/api/v1/write" || r.Header.Get("Content-Encoding") != "snappy" ||
		r.Header.Get("Content-Type") != "application/x-protobuf" || r.Header.Get("X-Prometheus-Remote-Write-Version") != "0.1.0" {
		fail("bad request line or headers: " + r.URL.Path)
		return
	}
	body, _ := io.ReadAll(r.Body)
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		fail("snappy: " + err.Error())
		return
	}
	n := 0
	err = eachField(raw, func(num protowire.Number, b []byte) error {
		if num != 1 {
			return nil
		}
		ls := map[string]string{}
		var names []string
		var samples []rwSample
		err := eachField(b, func(num protowire.Number, b []byte) error {
			switch num {
			case 1:
				var name, value string
				err := eachField(b, func(num protowire.Number, b []byte) error {
					if num == 1 {
						name = string(b)
					} else {
						value = string(b)
					}
					return nil
				})
				ls[name] = value
				names = append(names, name)
				return err
			case 2:
				var sm rwSample
				for len(b) > 0 {
					num, typ, k := protowire.ConsumeTag(b)
					if k < 0 {
						return protowire.ParseError(k)
					}
					b = b[k:]
					switch {
					case num == 1 && typ == protowire.Fixed64Type:
						v, k := protowire.ConsumeFixed64(b)
						sm.v, b = math.Float64frombits(v), b[max(k, 0):]
					case num == 2 && typ == protowire.VarintType:
						v, k := protowire.ConsumeVarint(b)
						sm.t, b = int64(v), b[max(k, 0):]
					default:
						return protowire.ParseError(-1)
					}
				}
				samples = append(samples, sm)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !slices.IsSorted(names) {
			s.errs = append(s.errs, "labels not sorted: "+strings.Join(names, ","))
		}
		key := strings.Join(names, ",") + "|" + labelKey(ls)
		s.series[key] = append(s.series[key], samples...)
		s.labels[key] = ls
		n += len(samples)
		return nil
	})
	if err != nil {
		fail("protobuf: " + err.Error())
		return
	}
	s.requests++
	s.maxBatch = max(s.maxBatch, n)
	w.WriteHeader(http.StatusNoContent)
}

// eachField calls f with every length-delimited field of a message.
func eachField(b []byte, f func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		num, typ, k := protowire.ConsumeTag(b)
		if k < 0 || typ != protowire.BytesType {
			return protowire.ParseError(-1)
		}
		v, m := protowire.ConsumeBytes(b[k:])
		if m < 0 {
			return protowire.ParseError(m)
		}
		if err := f(num, v); err != nil {
			return err
		}
		b = b[k+m:]
	}
	return nil
}

func labelKey(ls map[string]string) string {
	var parts []string
	for k, v := range ls {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// collectorSeries flattens what the collector serves at clock into the
// series names and labels a scrape stores, with their values.
func collectorSeries(t *testing.T, inc *Incident, at time.Time, target map[string]string) map[string]float64 {
	out := map[string]float64{}
	put := func(name string, m *dto.Metric, extra map[string]string, v float64) {
		ls := map[string]string{"__name__": name}
		for k, v := range target {
			ls[k] = v
		}
		for _, l := range m.GetLabel() {
			if l.GetValue() != "" {
				ls[l.GetName()] = l.GetValue()
			}
		}
		for k, v := range extra {
			ls[k] = v
		}
		out[labelKey(ls)] = v
	}
	for name, mf := range gather(t, inc.MetricsCollector(func() time.Time { return at })) {
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				put(name, m, nil, m.GetCounter().GetValue())
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					put(name+"_bucket", m, map[string]string{"le": formatLe(b.GetUpperBound())}, float64(b.GetCumulativeCount()))
				}
				put(name+"_bucket", m, map[string]string{"le": "+Inf"}, float64(h.GetSampleCount()))
				put(name+"_count", m, nil, float64(h.GetSampleCount()))
				put(name+"_sum", m, nil, h.GetSampleSum())
			}
		}
	}
	return out
}

func newSink(t *testing.T, targets string) (*rwSink, *httptest.Server) {
	sink := &rwSink{series: map[string][]rwSample{}, labels: map[string]map[string]string{}}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/write", sink)
	mux.HandleFunc("/api/v1/targets", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, targets)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return sink, srv
}

// windowCount counts a service's spans of a kind started in [from, to), and the failed ones.
func windowCount(inc *Incident, svc string, kind spanKind, from, to int64) (all, failed int) {
	for ti := range inc.traces {
		for k := range inc.traces[ti].spans {
			s := &inc.traces[ti].spans[k]
			if s.kind == kind && inc.svcOf(s) == svc && s.start >= from && s.start < to {
				all++
				if s.failed {
					failed++
				}
			}
		}
	}
	return all, failed
}

func TestBackfillSendsHistoryOfEverySeries(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	inc, err := Generate(DefaultScenario(), now)
	if err != nil {
		t.Fatal(err)
	}
	gt := inc.Truth()
	sink, srv := newSink(t, "")
	target := map[string]string{"job": "sim", "instance": "127.0.0.1:9"}
	if err := inc.Backfill(context.Background(), srv.URL, BackfillOptions{Labels: target}); err != nil {
		t.Fatal(err)
	}
	if len(sink.errs) > 0 {
		t.Fatalf("bad requests: %v", sink.errs[:min(len(sink.errs), 5)])
	}
	if sink.maxBatch > defaultBackfillBatch || sink.requests < 2 {
		t.Errorf("%d requests of at most %d samples, want batches of at most %d", sink.requests, sink.maxBatch, defaultBackfillBatch)
	}

	t.Logf("%d series in %d requests", len(sink.series), sink.requests)
	live := collectorSeries(t, inc, inc.born, target)
	step := DefaultBackfillStep.Milliseconds()
	first := gt.Start.Add(-DefaultBackfillBefore).UnixMilli()
	wantN := int((now.UnixMilli()-first)/step) + 1
	got := map[string]bool{}
	for key, samples := range sink.series {
		lk := labelKey(sink.labels[key])
		got[lk] = true
		want, ok := live[lk]
		if !ok {
			t.Errorf("backfilled series %s is not served live", lk)
			continue
		}
		if len(samples) != wantN {
			t.Fatalf("%s: %d samples, want %d", lk, len(samples), wantN)
		}
		for k, s := range samples {
			if s.t != first+int64(k)*step {
				t.Fatalf("%s: sample %d at %d, want %d", lk, k, s.t, first+int64(k)*step)
			}
			if k > 0 && s.v < samples[k-1].v {
				t.Fatalf("%s goes down at %d: %v then %v", lk, s.t, samples[k-1].v, s.v)
			}
		}
		if samples[0].v != 0 {
			t.Errorf("%s starts at %v, want 0", lk, samples[0].v)
		}
		if last := samples[len(samples)-1].v; last != want {
			t.Errorf("%s ends at %v, the collector serves %v at Generate", lk, last, want)
		}
	}
	for lk := range live {
		if !got[lk] {
			t.Errorf("served series %s was not backfilled", lk)
		}
	}

	// The window's increase is what was generated, and an hour earlier the
	// error ratio is the baseline's.
	valueAt := func(status string, at time.Time) float64 {
		var v float64
		for key, samples := range sink.series {
			ls := sink.labels[key]
			if ls["__name__"] == "traces_spanmetrics_calls_total" && ls["service"] == gt.EntryService &&
				ls["span_kind"] == "SPAN_KIND_SERVER" && (status == "" || ls["status_code"] == status) {
				v += samples[(at.UnixMilli()-first)/step].v
			}
		}
		return v
	}
	_, failed := windowCount(inc, gt.EntryService, kindServer, inc.start, inc.end)
	if inc := valueAt("STATUS_CODE_ERROR", now) - valueAt("STATUS_CODE_ERROR", gt.Start); inc != float64(failed) {
		t.Errorf("failing %s calls grow by %v over the window, generated %d", gt.EntryService, inc, failed)
	}
	baseAll, baseFailed := windowCount(inc, gt.EntryService, kindServer, inc.start, inc.incidentAt)
	hourAgo, before := now.Add(-time.Hour), now.Add(-time.Hour-15*time.Minute)
	all := valueAt("", hourAgo) - valueAt("", before)
	errs := valueAt("STATUS_CODE_ERROR", hourAgo) - valueAt("STATUS_CODE_ERROR", before)
	wantAll := float64(baseAll) / gt.Scenario.IncidentAfter.Seconds() * 900
	if math.Abs(all-wantAll) > 1 || math.Abs(errs/all-float64(baseFailed)/float64(baseAll)) > 0.005 {
		t.Errorf("an hour earlier: %v calls, %v failing; want %v at the baseline's %d/%d", all, errs, wantAll, baseFailed, baseAll)
	}
}

func TestBackfillFindsScrapeTarget(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	const two = `{"status":"success","data":{"activeTargets":[
		{"labels":{"job":"sim","instance":"127.0.0.1:9101"},"scrapeUrl":"http://127.0.0.1:9101/metrics"},
		{"labels":{"job":"other","instance":"127.0.0.1:9102"},"scrapeUrl":"http://127.0.0.1:9102/metrics"}]}}`
	const one = `{"status":"success","data":{"activeTargets":[
		{"labels":{"job":"sim","instance":"127.0.0.1:9101","env":"dev"},"scrapeUrl":"http://127.0.0.1:9101/metrics"}]}}`
	tests := []struct {
		name, targets, target string
		want                  map[string]string
	}{
		{"only target", one, "", map[string]string{"job": "sim", "instance": "127.0.0.1:9101", "env": "dev"}},
		{"named target", two, "127.0.0.1:9102", map[string]string{"job": "other", "instance": "127.0.0.1:9102"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink, srv := newSink(t, tc.targets)
			if err := inc.Backfill(context.Background(), srv.URL, BackfillOptions{Target: tc.target, Before: time.Minute}); err != nil {
				t.Fatal(err)
			}
			for _, ls := range sink.labels {
				for k, v := range tc.want {
					if ls[k] != v {
						t.Fatalf("series %v, want target labels %v", ls, tc.want)
					}
				}
			}
			if len(sink.labels) == 0 {
				t.Fatal("nothing written")
			}
		})
	}
}

func TestBackfillErrors(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	_, srv := newSink(t, `{"data":{"activeTargets":[{"labels":{"job":"a"},"scrapeUrl":"http://h:1/m"},{"labels":{"job":"b"},"scrapeUrl":"http://h:2/m"}]}}`)
	rejecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "out of bounds", http.StatusBadRequest)
	}))
	defer rejecting.Close()
	labels := map[string]string{"job": "sim"}
	ctx := context.Background()
	tests := []struct {
		name, url string
		opts      BackfillOptions
		want      string
	}{
		{"history too long", srv.URL, BackfillOptions{Labels: labels, Before: 2 * time.Hour}, "at most"},
		{"step too small", srv.URL, BackfillOptions{Labels: labels, Step: time.Microsecond}, "Step"},
		{"bad url", "ftp://x", BackfillOptions{Labels: labels}, "want http"},
		{"rejected", rejecting.URL, BackfillOptions{Labels: labels}, "out of bounds"},
		{"ambiguous targets", srv.URL, BackfillOptions{}, "2 active targets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := inc.Backfill(ctx, tc.url, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one saying %q", err, tc.want)
			}
		})
	}
}
