package prometheus

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Exemplar is one exemplar with the series it was recorded on and the
// trace id it points to ("" when it carries none).
type Exemplar struct {
	Series    model.LabelSet
	Labels    model.LabelSet
	Value     float64
	Timestamp time.Time
	TraceID   string
}

// QueryExemplars returns the exemplars of the series selected by q in
// [start, end], flattened in the server's order.
func (c *Client) QueryExemplars(ctx context.Context, q string, start, end time.Time) ([]Exemplar, error) {
	ctx, ex := track(ctx, "query_exemplars")
	res, err := c.api.QueryExemplars(ctx, q, start, end)
	if err := emptyOK(ctx, ex, res == nil, err); err != nil {
		return nil, err
	}
	var out []Exemplar
	for _, s := range res {
		for _, e := range s.Exemplars {
			out = append(out, Exemplar{
				Series:    s.SeriesLabels,
				Labels:    e.Labels,
				Value:     float64(e.Value),
				Timestamp: e.Timestamp.Time(),
				TraceID:   TraceID(e.Labels),
			})
		}
	}
	return out, nil
}

// TraceID extracts the trace id from exemplar labels, lower-cased and
// left-padded to 32 hex digits the way Tempo prints ids, so that it can be
// compared with ids from traces. It returns "" when there is none.
func TraceID(labels model.LabelSet) string {
	// OTel and Tempo's metrics-generator write trace_id; older
	// instrumentation writes traceID or traceId.
	for _, name := range [...]model.LabelName{"trace_id", "traceID", "traceId"} {
		id := strings.ToLower(strings.TrimSpace(string(labels[name])))
		if id == "" {
			continue
		}
		if len(id) < 32 && isHex(id) {
			id = strings.Repeat("0", 32-len(id)) + id
		}
		return id
	}
	return ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
