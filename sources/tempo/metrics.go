package tempo

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
)

// MetricsResult is the answer to a TraceQL metrics query.
type MetricsResult struct {
	Series []Series `json:"series"`
	// Partial is set when Tempo could not compute every series in full;
	// Message says why.
	Partial bool          `json:"partial,omitempty"`
	Message string        `json:"message,omitempty"`
	Metrics SearchMetrics `json:"metrics"`
}

// Series is one labelled time series.
type Series struct {
	Labels    []Attribute `json:"labels"`
	Samples   []Sample    `json:"samples"`
	Exemplars []Exemplar  `json:"exemplars,omitempty"`
}

// Label returns the label's value rendered as a string, "" if absent.
func (s Series) Label(key string) string { return LookupString(s.Labels, key) }

// Sample is one point. Tempo omits zero values; they read as 0 here.
type Sample struct {
	Time  time.Time `json:"time"`
	Value float64   `json:"value"`
}

// MarshalJSON writes NaN and the infinities as strings, as Tempo does,
// since JSON numbers cannot hold them.
func (s Sample) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Time  time.Time `json:"time"`
		Value any       `json:"value"`
	}{s.Time, jsonFloat(s.Value)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Sample) UnmarshalJSON(b []byte) error {
	var w struct {
		Time  time.Time `json:"time"`
		Value flexFloat `json:"value"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s.Time, s.Value = w.Time, float64(w.Value)
	return nil
}

func jsonFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return f
}

// Exemplar is a sample linked to a trace.
type Exemplar struct {
	Labels  []Attribute `json:"labels,omitempty"`
	Value   float64     `json:"value"`
	Time    time.Time   `json:"time"`
	TraceID string      `json:"traceID,omitempty"` // 32 hex digits, from the trace:id label
}

// MetricsQueryRange runs a TraceQL metrics query over [start, end] on
// /api/metrics/query_range. A zero step lets Tempo choose.
func (c *Client) MetricsQueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) (*MetricsResult, error) {
	const op = "metrics_query_range"
	if strings.TrimSpace(query) == "" {
		return nil, badRequest(op, "empty TraceQL metrics query")
	}
	q := url.Values{"q": {query}}
	if err := timeRange(op, q, start, end); err != nil {
		return nil, err
	}
	if step < 0 {
		return nil, badRequest(op, "step must be positive")
	}
	if step > 0 {
		q.Set("step", formatStep(step))
	}
	resp, err := c.get(ctx, op, "/api/metrics/query_range", q, "application/json")
	if err != nil {
		return nil, err
	}
	res, err := DecodeMetrics(resp.Body)
	if err != nil {
		return nil, sources.DecodeError(SourceName, op, resp.Status, resp.Body, err)
	}
	return res, nil
}

// formatStep writes whole seconds as "30s", which Tempo parses as a
// duration; finer steps as a Go duration.
func formatStep(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

type (
	wireMetricsResponse struct {
		Series  []wireSeries `json:"series"`
		Metrics wireMetrics  `json:"metrics"`
		Status  string       `json:"status"`
		Message string       `json:"message"`
	}
	wireSeries struct {
		Labels    []Attribute    `json:"labels"`
		Samples   []wireSample   `json:"samples"`
		Exemplars []wireExemplar `json:"exemplars"`
	}
	wireSample struct {
		TimestampMs int64String `json:"timestampMs"`
		Value       flexFloat   `json:"value"`
	}
	wireExemplar struct {
		Labels      []Attribute `json:"labels"`
		Value       flexFloat   `json:"value"`
		TimestampMs int64String `json:"timestampMs"`
	}
)

// DecodeMetrics decodes the body of /api/metrics/query_range.
func DecodeMetrics(body []byte) (*MetricsResult, error) {
	var w wireMetricsResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	res := &MetricsResult{
		Series:  make([]Series, 0, len(w.Series)),
		Partial: w.Status == "PARTIAL",
		Message: w.Message,
		Metrics: w.Metrics.metrics(),
	}
	for _, ws := range w.Series {
		s := Series{Labels: ws.Labels, Samples: make([]Sample, 0, len(ws.Samples))}
		for _, p := range ws.Samples {
			s.Samples = append(s.Samples, Sample{Time: unixMilli(int64(p.TimestampMs)), Value: float64(p.Value)})
		}
		for _, e := range ws.Exemplars {
			ex := Exemplar{Labels: e.Labels, Value: float64(e.Value), Time: unixMilli(int64(e.TimestampMs))}
			if id := LookupString(e.Labels, "trace:id"); id != "" {
				ex.TraceID = normalizeSearchID(id, 32)
			}
			s.Exemplars = append(s.Exemplars, ex)
		}
		res.Series = append(res.Series, s)
	}
	return res, nil
}
