package mcpserver_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/mcpserver"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

// demoDeps serve the embedded demo incident.
func demoDeps(t testing.TB) mcpserver.Deps {
	t.Helper()
	raw := demo.Bundle()
	b, err := bundle.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	d, err := app.BundleMCPDeps(config.Default(), b, raw, "the demo bundle", "test")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// connect runs the server in-process and returns the SDK's own client.
func connect(t testing.TB, s *mcpserver.Server) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// result is one tool answer as the client got it.
type result struct {
	text    string
	cursor  string
	page    int
	pages   int
	isError bool
}

// call calls a tool and returns its text, its page and whether it is an
// error. Every answer, whatever the tool, is checked against the bound and
// for escape sequences.
func call(t testing.TB, cs *mcp.ClientSession, bound int, tool string, args map[string]any) result {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var r result
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	r.text, r.isError = b.String(), res.IsError
	if page, ok := res.StructuredContent.(map[string]any); ok {
		r.cursor, _ = page["next_cursor"].(string)
		if n, ok := page["page"].(float64); ok {
			r.page = int(n)
		}
		if n, ok := page["pages"].(float64); ok {
			r.pages = int(n)
		}
	}
	if len(r.text) > bound {
		t.Errorf("%s %v: %d bytes of text, over the bound of %d", tool, args, len(r.text), bound)
	}
	if strings.ContainsAny(r.text, "\x1b\x07\u009b\u202e") {
		t.Errorf("%s: an escape sequence or bidi override reached the answer: %q", tool, r.text)
	}
	return r
}

// all follows the cursors to the last page and returns every page.
func all(t testing.TB, cs *mcp.ClientSession, bound int, tool string, args map[string]any) []result {
	t.Helper()
	first := call(t, cs, bound, tool, args)
	pages := []result{first}
	for r := first; r.cursor != ""; {
		next := map[string]any{"cursor": r.cursor}
		for k, v := range args {
			next[k] = v
		}
		r = call(t, cs, bound, tool, next)
		if r.page != len(pages)+1 || r.pages != first.pages {
			t.Fatalf("%s: page %d of %d after %d pages of %d", tool, r.page, r.pages, len(pages), first.pages)
		}
		pages = append(pages, r)
		if len(pages) > 1000 {
			t.Fatalf("%s: over 1000 pages", tool)
		}
	}
	if len(pages) != first.pages {
		t.Errorf("%s: %d pages read, the first said %d", tool, len(pages), first.pages)
	}
	return pages
}

var traceIDRe = regexp.MustCompile(`\b[0-9a-f]{32}\b`)

// The demo incident through the SDK's client: the incident list gives the
// id, investigate names the culprit with its evidence, every page stays
// under the bound and the pages together hold every user and trace of the
// report; the culprit's traces open with get_trace, their lines with
// get_trace_logs, a pattern's lines with get_pattern_lines, and a failing
// trace compares with a healthy one of its route, all offline.
func TestDemoIncident(t *testing.T) {
	d := demoDeps(t)
	b, _ := bundle.Parse(demo.Bundle())
	rep := b.Report
	cs := connect(t, mcpserver.New(d))
	const bound = mcpserver.DefaultMaxAnswerBytes

	list := call(t, cs, bound, "list_incidents", nil)
	id := rep.Alert.Fingerprint
	if list.isError || !strings.Contains(list.text, id+" · recorded · HighErrorRate") {
		t.Fatalf("list_incidents:\n%s", list.text)
	}

	pages := all(t, cs, bound, "investigate", map[string]any{"id": id})
	if len(pages) < 2 {
		t.Fatalf("the demo's verdict fits one page: the paging is not exercised")
	}
	first := pages[0].text
	for _, want := range []string{"culprit " + triage.CulpritLine(rep), "path: storefront → checkout → payments → ledger-db",
		"sources: prometheus ok", "users: ≈48 users failed (est. ", "estimate basis:", "user.region=eu-west", id + "/p1"} {
		if !strings.Contains(first, want) {
			t.Errorf("the first page lacks %q:\n%s", want, first)
		}
	}
	var whole strings.Builder
	for _, p := range pages {
		whole.WriteString(p.text)
	}
	for _, u := range rep.Users {
		if !strings.Contains(whole.String(), u.ID+" · ") {
			t.Errorf("user %s is on no page", u.ID)
		}
	}
	for _, tr := range rep.Traces {
		if !strings.Contains(whole.String(), tr.TraceID+" · ") {
			t.Errorf("sampled trace %s is on no page", tr.TraceID)
		}
	}

	var culprit []string
	for _, s := range rep.Services {
		if s.Name == rep.Impact.Culprit {
			culprit = s.Evidence
		}
	}
	for _, tid := range culprit[:2] {
		tr := all(t, cs, bound, "get_trace", map[string]any{"trace_id": tid})
		if tr[0].isError || !strings.Contains(tr[0].text, "trace "+tid) || !strings.Contains(tr[0].text, "→ ledger-db (not instrumented") {
			t.Errorf("get_trace %s:\n%s", tid, tr[0].text)
		}
		logs := call(t, cs, bound, "get_trace_logs", map[string]any{"trace_id": tid})
		if logs.isError || !strings.Contains(logs.text, "timeout acquiring connection") {
			t.Errorf("get_trace_logs %s:\n%s", tid, logs.text)
		}
		one := call(t, cs, bound, "get_trace_logs", map[string]any{"trace_id": tid, "service": "payments"})
		if strings.Contains(one.text, "· storefront ·") || !strings.Contains(one.text, "· payments ·") {
			t.Errorf("get_trace_logs of payments alone:\n%s", one.text)
		}
	}

	for i, p := range rep.LogPatterns {
		pid := id + "/p" + string(rune('1'+i))
		lines := all(t, cs, bound, "get_pattern_lines", map[string]any{"pattern_id": pid})
		if lines[0].isError || !strings.Contains(lines[0].text, "LINES") {
			t.Errorf("get_pattern_lines %s:\n%s", pid, lines[0].text)
			continue
		}
		found := 0
		for _, pg := range lines {
			found += strings.Count(pg.text, " · "+p.Level+" · ")
		}
		if found == 0 {
			t.Errorf("pattern %s (%q, %d lines): no line found:\n%s", pid, p.Pattern, p.Count, lines[0].text)
		}
		if i == 8 {
			break
		}
	}

	cmp := call(t, cs, bound, "compare_traces", map[string]any{"failing_trace_id": culprit[0]})
	if cmp.isError || !strings.Contains(cmp.text, "healthy ") || !strings.Contains(cmp.text, "payments SELECT accounts · failing: 1 span(s)") {
		t.Errorf("compare_traces:\n%s", cmp.text)
	}
}

// The tools an assistant sees: each with a one-line description and an
// input schema; read-only ones say so; silence only when allowed.
func TestToolList(t *testing.T) {
	names := func(d mcpserver.Deps) map[string]*mcp.Tool {
		cs := connect(t, mcpserver.New(d))
		out := map[string]*mcp.Tool{}
		for tool, err := range cs.Tools(context.Background(), nil) {
			if err != nil {
				t.Fatal(err)
			}
			out[tool.Name] = tool
		}
		return out
	}
	tools := names(demoDeps(t))
	for _, n := range []string{"list_incidents", "investigate", "get_trace", "get_trace_logs", "get_pattern_lines", "compare_traces"} {
		tool := tools[n]
		if tool == nil {
			t.Errorf("no tool %s", n)
			continue
		}
		if tool.Description == "" || strings.Contains(tool.Description, "\n") || len(tool.Description) > 300 {
			t.Errorf("%s: description %q is not one line an assistant can act on", n, tool.Description)
		}
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("%s is not marked read-only", n)
		}
		schema, _ := tool.InputSchema.(map[string]any)
		if schema["type"] != "object" {
			t.Errorf("%s: input schema %v", n, tool.InputSchema)
		}
	}
	if tools["silence"] != nil {
		t.Error("silence offered without mcp.allow_silence")
	}
	d := demoDeps(t)
	d.AllowSilence = true
	if s := names(d)["silence"]; s == nil || s.Annotations.ReadOnlyHint {
		t.Errorf("silence with allow_silence: %+v", s)
	}
}

// The incident's resources: its markdown report and its bundle, which
// parses as the bundle it is.
func TestDemoResources(t *testing.T) {
	cs := connect(t, mcpserver.New(demoDeps(t)))
	ctx := context.Background()
	b, _ := bundle.Parse(demo.Bundle())
	id := b.Report.Alert.Fingerprint
	md, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcpserver.ReportURI(id)})
	if err != nil {
		t.Fatal(err)
	}
	if text := md.Contents[0].Text; !strings.Contains(text, "**Culprit:** payments → ledger-db (timeout)") || md.Contents[0].MIMEType != "text/markdown" {
		t.Errorf("report.md:\n%s", text)
	}
	raw, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcpserver.BundleURI(id)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bundle.Parse(raw.Contents[0].Blob)
	if err != nil || got.Report == nil || got.Report.Alert.Fingerprint != id {
		t.Errorf("the bundle resource does not parse as the demo's: %v", err)
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcpserver.ReportURI("nope")}); err == nil {
		t.Error("an unknown incident's report was read")
	}
	var uris []string
	for r, err := range cs.Resources(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, r.URI)
	}
	if len(uris) != 2 {
		t.Errorf("resources %v, want the demo's report and bundle", uris)
	}
}

// A cursor pages only the call that gave it.
func TestCursorBelongsToItsCall(t *testing.T) {
	cs := connect(t, mcpserver.New(demoDeps(t)))
	r := call(t, cs, mcpserver.DefaultMaxAnswerBytes, "investigate", map[string]any{})
	if r.cursor == "" {
		t.Fatal("no cursor")
	}
	other := call(t, cs, mcpserver.DefaultMaxAnswerBytes, "get_trace", map[string]any{"trace_id": "86d249a27b96028cc0f6aa203c46194d", "cursor": r.cursor})
	if !other.isError || !strings.Contains(other.text, "not a cursor of this call") {
		t.Errorf("a cursor of investigate paged get_trace:\n%s", other.text)
	}
	bad := call(t, cs, mcpserver.DefaultMaxAnswerBytes, "investigate", map[string]any{"cursor": "garbage!"})
	if !bad.isError {
		t.Errorf("a garbage cursor was taken:\n%s", bad.text)
	}
}

// Bad arguments get an error naming the problem.
func TestBadArguments(t *testing.T) {
	cs := connect(t, mcpserver.New(demoDeps(t)))
	for _, c := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"get_trace", map[string]any{"trace_id": "xyz\x1b[2J"}, "expected a trace id of 32 hex digits"},
		{"investigate", map[string]any{"id": "no-such-incident"}, `no incident "no-such-incident" in the demo bundle`},
		{"investigate", map[string]any{"alert_json": "{not json"}, "alert_json: alert file is not JSON"},
		{"get_pattern_lines", map[string]any{"pattern_id": "p1"}, "expected an id as investigate gives it"},
		{"get_trace", map[string]any{"trace_id": "0123456789abcdef0123456789abcdef"}, "not recorded in this bundle"},
	} {
		r := call(t, cs, mcpserver.DefaultMaxAnswerBytes, c.tool, c.args)
		if !r.isError || !strings.Contains(r.text, c.want) {
			t.Errorf("%s %v: error %v, text %q, want %q", c.tool, c.args, r.isError, r.text, c.want)
		}
	}
}
