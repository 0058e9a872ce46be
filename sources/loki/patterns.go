package loki

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/triagectl/triage/sources"
)

// Pattern is a log template Loki's pattern ingester detected, with "<_>"
// where the lines vary, and how many lines matched it per step.
type Pattern struct {
	Pattern string
	Level   string // "error", "warn", … or "unknown"; empty on older servers
	Samples []PatternSample
}

// PatternSample counts the lines matching a pattern in one step.
type PatternSample struct {
	Time  time.Time
	Count int64
}

// Total is the number of lines the pattern matched over all samples.
func (p Pattern) Total() int64 {
	var n int64
	for _, s := range p.Samples {
		n += s.Count
	}
	return n
}

// Patterns asks /patterns for the templates of the streams query selects in
// [start, end]. When the server has no pattern ingester the error satisfies
// IsPatternsDisabled, so callers can fall back to mining the lines
// themselves.
func (c *Client) Patterns(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]Pattern, error) {
	const op = "patterns"
	if query == "" {
		return nil, c.invalid(op, "empty stream selector")
	}
	if step < 0 {
		return nil, c.invalid(op, "negative step")
	}
	if err := checkRange(start, end); err != nil {
		return nil, c.invalid(op, "%v", err)
	}
	q := url.Values{"query": {query}}
	rangeParams(q, start, end)
	if step > 0 {
		q.Set("step", formatStep(step))
	}
	resp, err := c.do(ctx, sources.Request{Op: op, Path: pathPatterns, Query: q})
	if err != nil {
		return nil, err
	}
	env, err := decodePatterns(resp.Body)
	if err != nil {
		return nil, sources.DecodeError(c.Name(), op, resp.Status, resp.Body, err)
	}
	if err := c.checkStatus(op, resp, env.Status, env.ErrorType, env.Error); err != nil {
		return nil, err
	}
	return env.patterns(), nil
}

type patternsEnvelope struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      []struct {
		Pattern string       `json:"pattern"`
		Level   string       `json:"level"`
		Samples [][2]float64 `json:"samples"`
	} `json:"data"`
}

// DecodePatterns decodes the body of a /patterns answer.
func DecodePatterns(body []byte) ([]Pattern, error) {
	env, err := decodePatterns(body)
	if err != nil {
		return nil, err
	}
	if env.Status != "success" {
		if env.Error != "" {
			return nil, fmt.Errorf("status %q: %s", env.Status, env.Error)
		}
		return nil, fmt.Errorf("status %q", env.Status)
	}
	return env.patterns(), nil
}

func decodePatterns(body []byte) (*patternsEnvelope, error) {
	env := &patternsEnvelope{}
	if err := json.Unmarshal(body, env); err != nil {
		return nil, err
	}
	return env, nil
}

func (env *patternsEnvelope) patterns() []Pattern {
	out := make([]Pattern, 0, len(env.Data))
	for _, d := range env.Data {
		p := Pattern{Pattern: d.Pattern, Level: d.Level, Samples: make([]PatternSample, 0, len(d.Samples))}
		for _, s := range d.Samples {
			if !finite(s[0]) || !finite(s[1]) {
				continue
			}
			p.Samples = append(p.Samples, PatternSample{Time: time.Unix(int64(s[0]), 0), Count: int64(s[1])})
		}
		out = append(out, p)
	}
	return out
}

// finite keeps sample numbers within what converts to int64 exactly enough.
func finite(f float64) bool {
	return !math.IsNaN(f) && math.Abs(f) < 1<<53
}
