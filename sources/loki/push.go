package loki

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/triagectl/triage/sources"
)

// Push sends streams to /loki/api/v1/push as JSON. Entry structured
// metadata is sent as the third element of each value, which the server
// accepts only with limits_config.allow_structured_metadata. Parsed labels
// and Entry.Stream are ignored.
func (c *Client) Push(ctx context.Context, streams []Stream) error {
	const op = "push"
	type wire struct {
		Stream map[string]string `json:"stream"`
		Values [][]any           `json:"values"`
	}
	body := struct {
		Streams []wire `json:"streams"`
	}{Streams: make([]wire, 0, len(streams))}
	for _, s := range streams {
		if len(s.Labels) == 0 {
			return c.invalid(op, "stream without labels")
		}
		w := wire{Stream: s.Labels, Values: make([][]any, 0, len(s.Entries))}
		for _, e := range s.Entries {
			v := []any{strconv.FormatInt(e.Time.UnixNano(), 10), e.Line}
			if len(e.StructuredMetadata) > 0 {
				v = append(v, e.StructuredMetadata)
			}
			w.Values = append(w.Values, v)
		}
		body.Streams = append(body.Streams, w)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return c.invalid(op, "%v", err)
	}
	_, err = c.do(ctx, sources.Request{Op: op, Method: "POST", Path: pathPush, Body: b, ContentType: "application/json"})
	return err
}
