package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The tools' inputs. Every answer is paged: Cursor is the next_cursor of
// the previous page of the same call.

// ListIn is list_incidents' input.
type ListIn struct {
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read on"`
}

// InvestigateIn is investigate's input.
type InvestigateIn struct {
	ID        string `json:"id,omitempty" jsonschema:"an incident id from list_incidents, or an alert fingerprint"`
	AlertJSON string `json:"alert_json,omitempty" jsonschema:"instead of id: an alert as JSON (an Alertmanager or Grafana webhook payload, or Alertmanager API alerts)"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read on"`
}

// TraceIn is get_trace's input.
type TraceIn struct {
	TraceID string `json:"trace_id" jsonschema:"a trace id (32 hex digits), as investigate cites them"`
	Cursor  string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read on"`
}

// TraceLogsIn is get_trace_logs' input.
type TraceLogsIn struct {
	TraceID string `json:"trace_id" jsonschema:"a trace id (32 hex digits)"`
	Service string `json:"service,omitempty" jsonschema:"only this service's lines"`
	Cursor  string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read on"`
}

// PatternLinesIn is get_pattern_lines' input.
type PatternLinesIn struct {
	PatternID string `json:"pattern_id" jsonschema:"a log pattern's id as investigate gives it, e.g. 4f2a9c1e0b7d3a55/p1"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read on"`
}

// CompareIn is compare_traces' input.
type CompareIn struct {
	FailingTraceID string `json:"failing_trace_id" jsonschema:"a failing trace id"`
	HealthyTraceID string `json:"healthy_trace_id,omitempty" jsonschema:"a healthy trace of the same route; found with the investigation's healthy searches when left out"`
	Cursor         string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read on"`
}

// SilenceIn is silence's input.
type SilenceIn struct {
	ID           string `json:"id,omitempty" jsonschema:"step 1: the incident id or fingerprint whose alert to silence"`
	Duration     string `json:"duration,omitempty" jsonschema:"step 1: how long, e.g. 30m or 2h (at most 24h)"`
	Comment      string `json:"comment,omitempty" jsonschema:"step 1: why, recorded on the silence"`
	ConfirmToken string `json:"confirm_token,omitempty" jsonschema:"step 2: the token of the proposal to carry out"`
}

func readOnly(title string) *mcp.ToolAnnotations {
	return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true}
}

func (s *Server) addTools() {
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "list_incidents", Annotations: readOnly("List incidents"),
		Description: "List the incidents, firing first, with the ids investigate takes."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in ListIn) (*mcp.CallToolResult, Page, error) {
			cursor := in.Cursor
			in.Cursor = ""
			return s.respond("list_incidents", in, cursor, func() (*answer, error) { return s.listIncidents(ctx) })
		})
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "investigate", Annotations: readOnly("Investigate an incident"),
		Description: "Give the verdict for an incident (id or fingerprint) or an alert JSON: culprit and path, services with roles and figures, users, what is different, log patterns and each source's state, every item with the trace ids and queries behind it."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in InvestigateIn) (*mcp.CallToolResult, Page, error) {
			cursor := in.Cursor
			in.Cursor = ""
			return s.respond("investigate", in, cursor, func() (*answer, error) {
				if in.ID == "" && in.AlertJSON == "" {
					if s.d.Incidents == nil {
						return nil, errors.New("give id or alert_json")
					}
					if _, ok := s.d.Incidents.(BundleCatalog); !ok {
						return nil, errors.New("give id (from list_incidents) or alert_json")
					}
				}
				c, err := s.caseFor(ctx, in.ID, in.AlertJSON)
				if err != nil {
					return nil, err
				}
				return s.verdict(ctx, c), nil
			})
		})
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "get_trace", Annotations: readOnly("Show a trace"),
		Description: "Show one trace as a compact waterfall: its error path and origin, its critical path, and the failing spans' attributes and events; the rest folded, with what was left out."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in TraceIn) (*mcp.CallToolResult, Page, error) {
			cursor := in.Cursor
			in.Cursor = ""
			return s.respond("get_trace", in, cursor, func() (*answer, error) { return s.traceAnswer(ctx, in.TraceID) })
		})
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "get_trace_logs", Annotations: readOnly("Logs of a trace"),
		Description: "Show a trace's log lines across its services, oldest first, optionally of one service."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in TraceLogsIn) (*mcp.CallToolResult, Page, error) {
			cursor := in.Cursor
			in.Cursor = ""
			return s.respond("get_trace_logs", in, cursor, func() (*answer, error) { return s.traceLogsAnswer(ctx, in.TraceID, in.Service) })
		})
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "get_pattern_lines", Annotations: readOnly("Lines of a log pattern"),
		Description: "Show the log lines behind one of investigate's log patterns, by its pattern id."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in PatternLinesIn) (*mcp.CallToolResult, Page, error) {
			cursor := in.Cursor
			in.Cursor = ""
			return s.respond("get_pattern_lines", in, cursor, func() (*answer, error) { return s.patternLinesAnswer(ctx, in.PatternID) })
		})
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "compare_traces", Annotations: readOnly("Compare with a healthy trace"),
		Description: "Set a failing trace beside a healthy trace of the same route: operations that erred, and where time went differently."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in CompareIn) (*mcp.CallToolResult, Page, error) {
			cursor := in.Cursor
			in.Cursor = ""
			return s.respond("compare_traces", in, cursor, func() (*answer, error) {
				return s.compareAnswer(ctx, in.FailingTraceID, in.HealthyTraceID)
			})
		})
	if s.d.AllowSilence && s.d.Alerts != nil {
		f := false
		mcp.AddTool(s.mcp, &mcp.Tool{Name: "silence",
			Annotations: &mcp.ToolAnnotations{Title: "Silence an alert", DestructiveHint: &f},
			Description: "Silence an incident's alert in Alertmanager, in two steps: call with id, duration and comment for a proposal and its token, then with confirm_token to create it."},
			func(ctx context.Context, _ *mcp.CallToolRequest, in SilenceIn) (*mcp.CallToolResult, Page, error) {
				return s.respond("silence", in, "", func() (*answer, error) { return s.silence(ctx, in) })
			})
	}
}

// ago says how long before now t was, coarsely.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return "at an unknown time"
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1fh ago", d.Hours())
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
