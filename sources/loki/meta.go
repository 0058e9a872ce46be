package loki

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Labels lists the label names seen in [start, end]. Loki may widen the
// range to whole index periods.
func (c *Client) Labels(ctx context.Context, start, end time.Time) ([]string, error) {
	const op = "labels"
	if err := checkRange(start, end); err != nil {
		return nil, c.invalid(op, "%v", err)
	}
	q := url.Values{}
	rangeParams(q, start, end)
	return getJSON[[]string](ctx, c, op, pathLabels, q)
}

// LabelValues lists the values of one label in [start, end], restricted to
// the streams that query (a stream selector) matches when it is not empty.
func (c *Client) LabelValues(ctx context.Context, name string, start, end time.Time, query string) ([]string, error) {
	const op = "label_values"
	if !validLabelName(name) {
		return nil, c.invalid(op, "invalid label name %q", name)
	}
	if err := checkRange(start, end); err != nil {
		return nil, c.invalid(op, "%v", err)
	}
	q := url.Values{}
	rangeParams(q, start, end)
	if query != "" {
		q.Set("query", query)
	}
	return getJSON[[]string](ctx, c, op, fmt.Sprintf(pathLabelValues, name), q)
}

// Series lists the label sets of the streams that match any of the
// selectors in [start, end].
func (c *Client) Series(ctx context.Context, matchers []string, start, end time.Time) ([]map[string]string, error) {
	const op = "series"
	if len(matchers) == 0 {
		return nil, c.invalid(op, "at least one stream selector is required")
	}
	if err := checkRange(start, end); err != nil {
		return nil, c.invalid(op, "%v", err)
	}
	q := url.Values{"match[]": matchers}
	rangeParams(q, start, end)
	return getJSON[[]map[string]string](ctx, c, op, pathSeries, q)
}

// Volume is the bytes ingested for one label set over the queried range.
type Volume struct {
	Labels map[string]string
	Bytes  float64
}

// Volume asks the index how many bytes each stream matching query (a
// stream selector) holds in [start, end], largest first. The server needs
// limits_config.volume_enabled; without it the answer is a 404.
func (c *Client) Volume(ctx context.Context, query string, start, end time.Time, limit int) ([]Volume, error) {
	const op = "volume"
	q, err := c.volumeParams(op, query, start, end, limit)
	if err != nil {
		return nil, err
	}
	res, err := c.query(ctx, op, pathVolume, q)
	if err != nil {
		return nil, err
	}
	series := res.Vector
	if res.Type == ResultMatrix {
		series = res.Matrix
	}
	out := make([]Volume, 0, len(series))
	for _, s := range series {
		v := Volume{Labels: s.Labels}
		if n := len(s.Samples); n > 0 {
			v.Bytes = s.Samples[n-1].Value
		}
		out = append(out, v)
	}
	return out, nil
}

// VolumeRange is Volume bucketed by step: one series per label set.
func (c *Client) VolumeRange(ctx context.Context, query string, start, end time.Time, step time.Duration, limit int) ([]Series, error) {
	const op = "volume_range"
	q, err := c.volumeParams(op, query, start, end, limit)
	if err != nil {
		return nil, err
	}
	if step < 0 {
		return nil, c.invalid(op, "negative step")
	}
	if step > 0 {
		q.Set("step", formatStep(step))
	}
	res, err := c.query(ctx, op, pathVolumeRange, q)
	if err != nil {
		return nil, err
	}
	if res.Type == ResultVector {
		// A range holding a single bucket comes back as a vector.
		return res.Vector, nil
	}
	return res.Matrix, nil
}

func (c *Client) volumeParams(op, query string, start, end time.Time, limit int) (url.Values, error) {
	if query == "" {
		return nil, c.invalid(op, "empty stream selector")
	}
	if start.IsZero() || end.IsZero() {
		return nil, c.invalid(op, "start and end are required")
	}
	if err := checkRange(start, end); err != nil {
		return nil, c.invalid(op, "%v", err)
	}
	if limit < 0 {
		return nil, c.invalid(op, "negative limit")
	}
	q := url.Values{"query": {query}}
	rangeParams(q, start, end)
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q, nil
}

// validLabelName keeps the name from changing the request path.
func validLabelName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
