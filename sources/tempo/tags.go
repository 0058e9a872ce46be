package tempo

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TagScope lists the tag names of one attribute scope: "resource", "span",
// "event", "link", "instrumentation" or "intrinsic".
type TagScope struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// TagValue is one value of a tag with its TraceQL type ("string", "int",
// "duration", "status", …).
type TagValue struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// HasTag reports whether scopes list tag in scope ("" matches any scope).
func HasTag(scopes []TagScope, scope, tag string) bool {
	for _, s := range scopes {
		if scope != "" && s.Name != scope {
			continue
		}
		for _, t := range s.Tags {
			if t == tag {
				return true
			}
		}
	}
	return false
}

// Tags lists tag names per scope from /api/v2/search/tags. An empty scope
// lists every scope; a zero time range uses Tempo's default (recent data).
func (c *Client) Tags(ctx context.Context, scope string, start, end time.Time) ([]TagScope, error) {
	const op = "tags"
	q := url.Values{}
	if scope = strings.TrimSpace(scope); scope != "" {
		q.Set("scope", scope)
	}
	if err := timeRange(op, q, start, end); err != nil {
		return nil, err
	}
	resp, err := c.get(ctx, op, "/api/v2/search/tags", q, "application/json")
	if err != nil {
		return nil, err
	}
	var w struct {
		Scopes []TagScope `json:"scopes"`
	}
	if err := c.decodeJSON(op, resp, &w); err != nil {
		return nil, err
	}
	if w.Scopes == nil {
		w.Scopes = []TagScope{}
	}
	return w.Scopes, nil
}

// TagValues lists the values of a scoped tag ("resource.service.name",
// "span.http.route", "status") from /api/v2/search/tag/<tag>/values.
// query, when set, is a TraceQL filter that narrows the values, e.g.
// `{ resource.service.name = "checkout" }`.
func (c *Client) TagValues(ctx context.Context, scopedTag, query string, start, end time.Time) ([]TagValue, error) {
	const op = "tag_values"
	scopedTag = strings.TrimSpace(scopedTag)
	if scopedTag == "" || strings.ContainsAny(scopedTag, "/?#") {
		return nil, badRequest(op, "tag name "+strconv.Quote(scopedTag)+" is empty or holds /, ? or #")
	}
	q := url.Values{}
	if strings.TrimSpace(query) != "" {
		q.Set("q", query)
	}
	if err := timeRange(op, q, start, end); err != nil {
		return nil, err
	}
	resp, err := c.get(ctx, op, "/api/v2/search/tag/"+scopedTag+"/values", q, "application/json")
	if err != nil {
		return nil, err
	}
	var w struct {
		TagValues []TagValue `json:"tagValues"`
	}
	if err := c.decodeJSON(op, resp, &w); err != nil {
		return nil, err
	}
	if w.TagValues == nil {
		w.TagValues = []TagValue{}
	}
	return w.TagValues, nil
}
