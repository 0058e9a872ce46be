package loki

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/triagectl/triage/sources"
)

// queryEnvelope is the wire form of a /query or /query_range answer.
type queryEnvelope struct {
	Status    string    `json:"status"`
	ErrorType string    `json:"errorType"`
	Error     string    `json:"error"`
	Warnings  []string  `json:"warnings"`
	Data      queryData `json:"data"`
	scalar    *wireValue
}

type queryData struct {
	ResultType    string       `json:"resultType"`
	EncodingFlags []string     `json:"encodingFlags"`
	Result        []wireSeries `json:"result"`
	Stats         queryStats   `json:"stats"`
}

type queryStats struct {
	Summary wireSummary `json:"summary"`
}

type wireSeries struct {
	Stream map[string]string `json:"stream"`
	Metric map[string]string `json:"metric"`
	Values []wireValue       `json:"values"`
	Value  *wireValue        `json:"value"`
}

// wireSummary takes numbers as floats so that a proxy re-encoding integers
// as floats does not break decoding.
type wireSummary struct {
	ExecTime             float64 `json:"execTime"`
	QueueTime            float64 `json:"queueTime"`
	TotalBytesProcessed  float64 `json:"totalBytesProcessed"`
	TotalLinesProcessed  float64 `json:"totalLinesProcessed"`
	TotalEntriesReturned float64 `json:"totalEntriesReturned"`
	Splits               float64 `json:"splits"`
	Shards               float64 `json:"shards"`
}

// wireValue is one element of "values": a log entry
// ["<ns>", "<line>", {"structuredMetadata":{…},"parsed":{…}}] or a sample
// [<seconds>, "<value>"]. It is parsed by hand because it is the bulk of
// every answer and a generic decode of mixed arrays costs several passes.
type wireValue struct {
	ok     bool
	meta   bool // a third element was present: the answer is categorized
	t      time.Time
	text   string
	sm     map[string]string
	parsed map[string]string
}

// DecodeQueryResult decodes the body of a /query or /query_range answer,
// with or without categorized labels. A status other than "success" is an
// error carrying the server's message.
func DecodeQueryResult(body []byte) (*QueryResult, error) {
	env, err := decodeQuery(body)
	if err != nil {
		return nil, err
	}
	if env.Status != "success" {
		if env.Error != "" {
			return nil, fmt.Errorf("status %q: %s", env.Status, env.Error)
		}
		return nil, fmt.Errorf("status %q", env.Status)
	}
	return env.result()
}

func decodeQuery(body []byte) (*queryEnvelope, error) {
	env := &queryEnvelope{}
	err := json.Unmarshal(body, env)
	var typeErr *json.UnmarshalTypeError
	if err != nil && errors.As(err, &typeErr) && env.Data.ResultType == string(ResultScalar) {
		// A scalar's result is one bare [t, v] pair, not a list of series.
		var sc struct {
			Data struct {
				Result wireValue `json:"result"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &sc); err != nil {
			return nil, err
		}
		env.Data.Result, env.scalar = nil, &sc.Data.Result
		return env, nil
	}
	if err != nil {
		return nil, err
	}
	return env, nil
}

func (env *queryEnvelope) result() (*QueryResult, error) {
	d := &env.Data
	s := d.Stats.Summary
	res := &QueryResult{
		Type:     ResultType(d.ResultType),
		Warnings: env.Warnings,
		Stats: Stats{
			ExecTime:             secondsToDuration(s.ExecTime),
			QueueTime:            secondsToDuration(s.QueueTime),
			TotalBytesProcessed:  int64(s.TotalBytesProcessed),
			TotalLinesProcessed:  int64(s.TotalLinesProcessed),
			TotalEntriesReturned: int64(s.TotalEntriesReturned),
			Splits:               int64(s.Splits),
			Shards:               int64(s.Shards),
		},
	}
	for _, f := range d.EncodingFlags {
		if f == FlagCategorizeLabels {
			res.Categorized = true
		}
	}
	switch res.Type {
	case ResultStreams:
		res.Streams = make([]Stream, 0, len(d.Result))
		for _, ws := range d.Result {
			st := Stream{Labels: ws.Stream, Entries: make([]Entry, 0, len(ws.Values))}
			for _, v := range ws.Values {
				if !v.ok {
					continue
				}
				res.Categorized = res.Categorized || v.meta
				st.Entries = append(st.Entries, Entry{Time: v.t, Line: v.text,
					StructuredMetadata: v.sm, Parsed: v.parsed, Stream: ws.Stream})
			}
			res.Streams = append(res.Streams, st)
		}
	case ResultMatrix, ResultVector:
		series := make([]Series, 0, len(d.Result))
		for _, ws := range d.Result {
			values := ws.Values
			if ws.Value != nil {
				values = append(values, *ws.Value)
			}
			sr := Series{Labels: ws.Metric, Samples: make([]Sample, 0, len(values))}
			for _, v := range values {
				if !v.ok {
					continue
				}
				smp, err := v.sample()
				if err != nil {
					return nil, err
				}
				sr.Samples = append(sr.Samples, smp)
			}
			series = append(series, sr)
		}
		if res.Type == ResultMatrix {
			res.Matrix = series
		} else {
			res.Vector = series
		}
	case ResultScalar:
		if env.scalar == nil || !env.scalar.ok {
			return nil, errors.New("scalar result without a value")
		}
		smp, err := env.scalar.sample()
		if err != nil {
			return nil, err
		}
		res.Scalar = &smp
	default:
		return nil, fmt.Errorf("unknown result type %q", d.ResultType)
	}
	return res, nil
}

func (v *wireValue) sample() (Sample, error) {
	f, err := strconv.ParseFloat(v.text, 64)
	if err != nil {
		return Sample{}, fmt.Errorf("sample value %q: %w", sources.Truncate(v.text, 64), err)
	}
	return Sample{Time: v.t, Value: f}, nil
}

func secondsToDuration(s float64) time.Duration {
	if math.IsNaN(s) || s < 0 || s > float64(math.MaxInt64/int64(time.Second)) {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}
