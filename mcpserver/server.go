// Package mcpserver is Triage's Model Context Protocol server: the tools
// an assistant calls for the verdict and the evidence behind it (incidents,
// the investigation, traces, their logs, a pattern's lines), each answer
// bounded and paged, sanitised, and saying which sources failed and why.
package mcpserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/triage"
)

// Investigator runs an investigation of the alert and returns its report
// and, when it records one, its incident bundle.
type Investigator func(ctx context.Context, a triage.Alert) (*triage.Report, []byte, error)

// DefaultMaxAnswerBytes bounds a tool answer's text unless Deps say
// otherwise.
const DefaultMaxAnswerBytes = 8192

// Deps are what the server answers from.
type Deps struct {
	// Sources answer the drill-downs (traces, logs); nil ones are
	// unconfigured.
	Sources triage.Sources
	// Options and RED are the investigation's, for the queries the
	// drill-downs repeat.
	Options triage.Options
	RED     triage.REDQueries
	// Incidents lists and finds incidents; nil when there is nowhere to
	// list them from (investigate still takes an alert JSON).
	Incidents Catalog
	// Investigate runs an investigation; nil when only stored reports are
	// served (a bundle).
	Investigate Investigator
	// Alerts, with AllowSilence, offers the two-step silence tool.
	Alerts       Alerts
	AllowSilence bool
	// MaxAnswerBytes bounds each tool answer's text (DefaultMaxAnswerBytes
	// when 0); longer answers are paged.
	MaxAnswerBytes int
	Version        string
	Log            *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Server is the MCP server and the state its tools share: the cases
// investigated lately, answers being paged, silence proposals.
type Server struct {
	d   Deps
	mcp *mcp.Server

	mu        sync.Mutex
	cases     map[string]*caseEntry
	answers   map[string]*cachedAnswer
	proposals map[string]proposal
}

// caseEntry is an incident with the report the tools answered from.
type caseEntry struct {
	inc    Incident
	report *triage.Report
	bundle []byte
	origin string
	at     time.Time // when the report was made
	used   time.Time
}

type cachedAnswer struct {
	a    *answer
	used time.Time
}

// Cache bounds: a paged answer or a case is kept this long after its last
// use, and at most this many of each.
const (
	cacheTTL     = 15 * time.Minute
	maxCases     = 32
	maxAnswers   = 64
	liveCaseTTL  = 2 * time.Minute // a live investigation answers again for this long
	proposalTTL  = 5 * time.Minute
	maxProposals = 64
)

// New builds the server and registers its tools and resources.
func New(d Deps) *Server {
	if d.MaxAnswerBytes <= 0 {
		d.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.RED == (triage.REDQueries{}) {
		d.RED = triage.DefaultREDQueries()
	}
	s := &Server{d: d, cases: map[string]*caseEntry{}, answers: map[string]*cachedAnswer{}, proposals: map[string]proposal{}}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "triage", Title: "Triage", Version: d.Version},
		&mcp.ServerOptions{Instructions: instructions, Logger: d.Log, Capabilities: &mcp.ServerCapabilities{}})
	s.addTools()
	s.addResources()
	return s
}

const instructions = `Triage investigates an alert across metrics, logs and traces and gives a deterministic verdict: the culprit service and its path, the services with their roles and figures, the users affected (with the estimate's basis), what is different in the failing traces, and the log patterns, each item with the trace ids and queries behind it.
Start with list_incidents, then investigate one. Follow a trace id with get_trace, its log lines with get_trace_logs, a pattern with get_pattern_lines, and compare_traces to set a failing trace beside a healthy one of its route.
Answers are bounded: a long answer ends with a cursor; call the same tool with the same arguments and that cursor to read on.
A source that failed is named with its reason in every answer: what it would have said is unknown, never zero or empty.`

// MCP is the SDK's server, for transports.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// RunStdio serves one client over stdin and stdout until it disconnects
// or ctx ends.
func (s *Server) RunStdio(ctx context.Context) error {
	return s.mcp.Run(ctx, &mcp.StdioTransport{})
}

// HTTPHandler serves the streamable HTTP transport. It is stateless: each
// request stands alone, so the daemon keeps no session per client; paging
// state lives in the server and outlives the requests.
func (s *Server) HTTPHandler() http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: s.d.Log})
}

// Page is every answer's structured part: where it is in a paged answer.
type Page struct {
	Page       int    `json:"page" jsonschema:"this page's number, from 1"`
	Pages      int    `json:"pages" jsonschema:"the answer's number of pages"`
	NextCursor string `json:"next_cursor,omitempty" jsonschema:"pass as cursor, with the same arguments, for the next page; absent on the last page"`
	Bytes      int    `json:"bytes" jsonschema:"the bytes of this page's text"`
}

// respond renders the page the cursor asks for of the answer build makes.
// key names the call (the tool and its arguments but the cursor): a paged
// answer is kept so the next pages come from the same text.
func (s *Server) respond(tool string, args any, cursor string, build func() (*answer, error)) (*mcp.CallToolResult, Page, error) {
	key := tool + ":" + argKey(args)
	var a *answer
	pageIdx := 0
	if cursor != "" {
		digest, p, err := decodeCursor(cursor, key)
		if err != nil {
			return nil, Page{}, err
		}
		pageIdx = p
		s.mu.Lock()
		if c := s.answers[key]; c != nil && c.a.digest() == digest {
			a = c.a
			c.used = s.d.Now()
		}
		s.mu.Unlock()
		if a == nil {
			if a, err = build(); err != nil {
				return nil, Page{}, s.toolError(err)
			}
			if a.digest() != digest {
				return nil, Page{}, errors.New("cursor: the answer changed since that page (a new investigation or new data); call again without a cursor")
			}
		}
	} else {
		var err error
		if a, err = build(); err != nil {
			return nil, Page{}, s.toolError(err)
		}
	}
	p, err := a.render(s.d.MaxAnswerBytes, pageIdx, key)
	if err != nil {
		return nil, Page{}, err
	}
	if p.pages > 1 {
		s.keepAnswer(key, a)
	}
	s.d.Log.Debug("mcp answer", "tool", tool, "page", p.index+1, "pages", p.pages, "bytes", len(p.text))
	res := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: p.text}}, IsError: a.failed}
	return res, Page{Page: p.index + 1, Pages: p.pages, NextCursor: p.next, Bytes: len(p.text)}, nil
}

// toolError is an error as the assistant reads it: sanitised and bounded.
func (s *Server) toolError(err error) error {
	return errors.New(cutBytes(clean(err.Error(), 4000), s.d.MaxAnswerBytes-64))
}

func (s *Server) keepAnswer(key string, a *answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.d.Now()
	s.answers[key] = &cachedAnswer{a: a, used: now}
	evict(s.answers, maxAnswers, func(c *cachedAnswer) time.Time { return c.used }, now)
}

// evict drops entries unused for cacheTTL, then the least recently used
// beyond max.
func evict[T any](m map[string]T, max int, used func(T) time.Time, now time.Time) {
	for k, v := range m {
		if now.Sub(used(v)) > cacheTTL {
			delete(m, k)
		}
	}
	for len(m) > max {
		var oldest string
		var at time.Time
		for k, v := range m {
			if oldest == "" || used(v).Before(at) {
				oldest, at = k, used(v)
			}
		}
		delete(m, oldest)
	}
}

// argKey is a call's arguments as a key: their JSON, the cursor left out
// by the caller.
func argKey(args any) string {
	b, _ := json.Marshal(args)
	return string(b)
}

// caseFor finds the incident id names, or the alert in alertJSON, and the
// report to answer from: the case investigated lately, a fresh stored
// report, or a new investigation.
func (s *Server) caseFor(ctx context.Context, id, alertJSON string) (*caseEntry, error) {
	id = strings.TrimSpace(id)
	if alertJSON != "" {
		if id != "" {
			return nil, errors.New("give an incident id or an alert JSON, not both")
		}
		a, err := adapter.ParseAlertFile([]byte(alertJSON))
		if err != nil {
			return nil, fmt.Errorf("alert_json: %w", err)
		}
		if c := s.cachedCase(alertCaseID(a)); c != nil {
			return c, nil
		}
		return s.investigateCase(ctx, Incident{ID: alertCaseID(a), Alert: a, Status: "given"}, false)
	}
	if c := s.cachedCase(id); c != nil {
		return c, nil
	}
	if s.d.Incidents == nil {
		return nil, errors.New("no incident source to find " + quote(id) + " in: configure sources.alertmanager.url, run under triage serve, or give alert_json")
	}
	inc, err := s.d.Incidents.Get(ctx, id)
	if errors.Is(err, errNotFound) {
		return nil, fmt.Errorf("no incident %s in %s: list_incidents gives the ids", quote(id), s.d.Incidents.Name())
	}
	if err != nil {
		return nil, err
	}
	return s.investigateCase(ctx, inc, true)
}

// investigateCase answers from the incident's stored report when it is
// fresh, else investigates.
func (s *Server) investigateCase(ctx context.Context, inc Incident, stored bool) (*caseEntry, error) {
	now := s.d.Now()
	c := &caseEntry{inc: inc, used: now}
	switch {
	case stored && inc.Fresh && inc.Report != nil:
		c.report, c.bundle, c.origin, c.at = inc.Report, inc.Bundle, inc.Origin, inc.ReportAt
	case s.d.Investigate == nil:
		if inc.Report != nil {
			c.report, c.bundle, c.origin, c.at = inc.Report, inc.Bundle, inc.Origin, inc.ReportAt
			break
		}
		return nil, fmt.Errorf("incident %s has no report, and this server does not investigate", quote(inc.ID))
	default:
		r, b, err := s.d.Investigate(ctx, inc.Alert)
		if r == nil {
			if err == nil {
				err = errors.New("the investigation gave no report")
			}
			return nil, fmt.Errorf("investigation: %w", err)
		}
		c.report, c.bundle, c.origin, c.at = r, b, "investigated now", now
		if inc.Report != nil && !inc.Fresh {
			c.origin += fmt.Sprintf(" (the stored report, of %s, was stale)", inc.ReportAt.UTC().Format(time.RFC3339))
		}
	}
	s.mu.Lock()
	s.cases[inc.ID] = c
	evict(s.cases, maxCases, func(c *caseEntry) time.Time { return c.used }, now)
	s.mu.Unlock()
	return c, nil
}

// cachedCase is a case investigated lately: a live investigation answers
// again for liveCaseTTL, so the tools that follow it read the same
// evidence; a stored report for as long as it is kept.
func (s *Server) cachedCase(id string) *caseEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cases[id]
	if c == nil {
		return nil
	}
	now := s.d.Now()
	if c.origin == "investigated now" || strings.HasPrefix(c.origin, "investigated now ") {
		if now.Sub(c.at) > liveCaseTTL {
			return nil
		}
	}
	c.used = now
	return c
}

// caseWithTrace is the latest case whose report names the trace, for the
// window and services a drill-down needs; nil when none does.
func (s *Server) caseWithTrace(traceID string) *caseEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *caseEntry
	for _, c := range s.cases {
		if reportNames(c.report, traceID) && (best == nil || c.used.After(best.used)) {
			best = c
		}
	}
	return best
}

// latestCase is the case used last, nil without any.
func (s *Server) latestCase() *caseEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *caseEntry
	for _, c := range s.cases {
		if best == nil || c.used.After(best.used) {
			best = c
		}
	}
	return best
}

// reportNames reports whether the report cites the trace id anywhere.
func reportNames(r *triage.Report, id string) bool {
	if r == nil {
		return false
	}
	eq := func(x string) bool { return strings.EqualFold(x, id) }
	for _, t := range r.Traces {
		if eq(t.TraceID) {
			return true
		}
	}
	for _, sv := range r.Services {
		for _, e := range sv.Evidence {
			if eq(e) {
				return true
			}
		}
	}
	for _, u := range r.Users {
		for _, t := range u.TraceIDs {
			if eq(t) {
				return true
			}
		}
	}
	for _, p := range r.LogPatterns {
		for _, t := range p.SampleTraceIDs {
			if eq(t) {
				return true
			}
		}
	}
	return r.Timeline != nil && eq(r.Timeline.FirstFailing)
}

// alertCaseID names an alert given as JSON: its fingerprint, else a digest
// of its labels.
func alertCaseID(a triage.Alert) string {
	if fp := strings.TrimSpace(a.Fingerprint); fp != "" {
		return fp
	}
	b, _ := json.Marshal(a.Labels)
	h := sha256.Sum256(b)
	return "alert-" + hex.EncodeToString(h[:6])
}

// quote quotes an external id for a message.
func quote(s string) string { return `"` + clean(s, 80) + `"` }
