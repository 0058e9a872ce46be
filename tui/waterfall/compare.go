package waterfall

import (
	"context"
	"errors"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// comparePage sets a trace beside a healthy one of its route, found with
// the investigation's own searches (triage.FindHealthyTrace, as the MCP
// tool compare_traces finds it): the two span trees aligned by service and
// operation, the operations that are new, missing, erroring or much slower
// marked.
type comparePage struct {
	c   *tui.Common
	ctx context.Context
	in  tui.IncidentRef
	id  string

	openFailing, openHealthy, refresh key.Binding

	load *tui.Load
	why  string // why nothing can be asked
	res  *compared
	list *tui.List
	w, h int
}

// compared is a load's answer.
type compared struct {
	err     error // the failing trace could not be read
	failing triage.TraceAnalysis
	spans   int // the failing trace's
	find    triage.HealthyFind
	cmp     *triage.TraceComparison // nil without a healthy trace
	ops     []triage.AlignedOperation
}

// Compare is the comparison page of trace id in the incident in.
func Compare(c *tui.Common, in tui.IncidentRef, id string) tui.PageFunc {
	return func(ctx context.Context) tui.Page {
		cp := &comparePage{c: c, ctx: ctx, in: in, id: id, w: c.Width, h: max(c.Height-2, 1), load: tui.NewLoad(ctx, c),
			list: tui.NewList(c, compareColumns()...)}
		cp.openFailing = relabelKey(c.Keys.Enter, "failing trace")
		cp.openHealthy = relabelKey(c.Keys.Traces, "healthy trace")
		cp.refresh = relabelKey(c.Keys.Refresh, "search again")
		switch {
		case c.Data.Sources.Traces == nil:
			cp.why = "unknown — " + c.Data.Sources.TracesName() + ": not configured (set sources.tempo.url or sources.jaeger.url to compare traces)"
		case in.Report == nil || in.Report.Window.End.IsZero():
			cp.why = "no incident window to search for a healthy trace in: the investigation has not finished"
		}
		cp.list.SetSize(cp.w, cp.listHeight())
		return cp
	}
}

func relabelKey(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

func (p *comparePage) Init() tea.Cmd {
	if p.why != "" {
		return nil
	}
	return p.find()
}

// find reads the failing trace, looks for a healthy one of its route and
// compares them, off the UI goroutine.
func (p *comparePage) find() tea.Cmd {
	ctx, src, id, o, rep := p.ctx, p.c.Data.Sources.Traces, p.id, p.c.Data.Options, p.in.Report
	deadline := o.SourceDeadline
	if deadline <= 0 {
		deadline = fetchDeadline
	}
	p.res = nil
	return p.load.Start(func() any {
		fctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		tr, err := src.Trace(fctx, id)
		switch {
		case err != nil:
			return &compared{err: explain(src.Name(), err, deadline)}
		case tr == nil:
			return &compared{err: notFound(src.Name())}
		case len(tr.Spans) == 0:
			return &compared{err: errors.New("trace has no spans in " + src.Name())}
		}
		r := &compared{failing: triage.AnalyzeTrace(tr, o.Analysis()), spans: len(tr.Spans)}
		// Each search and fetch has the source's own deadline.
		sctx, cancel2 := context.WithTimeout(ctx, 4*deadline+time.Second)
		defer cancel2()
		r.find = triage.FindHealthyTrace(sctx, src, rep.Alert.Scope, rep.Window, o, &r.failing)
		if r.find.Trace != nil {
			cmp := triage.CompareTraces(tr, r.find.Trace, o.Analysis())
			r.cmp, r.ops = &cmp, cmp.Aligned()
		}
		return r
	})
}

func (p *comparePage) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		return p, p.key(k)
	}
	v, ok, cmd := p.load.Update(msg)
	if ok {
		p.load.Stop()
		p.res = v.(*compared)
		p.list.SetRows(p.rows())
	}
	return p, cmd
}

func (p *comparePage) key(k tea.KeyPressMsg) tea.Cmd {
	if p.list.Filtering() {
		p.list.Update(k)
		return nil
	}
	nav := p.c.Nav
	switch {
	case key.Matches(k, p.refresh) && p.why == "":
		return p.find()
	case key.Matches(k, p.openFailing) && nav.Trace != nil:
		return tui.Push(nav.Trace(p.in, p.id))
	case key.Matches(k, p.openHealthy) && nav.Trace != nil && p.healthyID() != "":
		return tui.Push(nav.Trace(p.in, p.healthyID()))
	}
	p.list.Update(k)
	return nil
}

// healthyID is the healthy trace's id, "" before one is found.
func (p *comparePage) healthyID() string {
	if p.res == nil || p.res.cmp == nil {
		return ""
	}
	return p.res.cmp.Healthy.TraceID
}

func (p *comparePage) SetSize(w, h int) {
	p.w, p.h = max(w, 1), max(h, 1)
	p.list.SetSize(p.w, p.listHeight())
}

func (p *comparePage) Title() string { return "compare " + tui.Fit(p.id, 8) }

func (p *comparePage) ShortHelp() []key.Binding {
	if p.healthyID() == "" {
		return []key.Binding{p.openFailing, p.refresh, p.c.Keys.Copy}
	}
	return []key.Binding{p.openFailing, p.openHealthy, p.c.Keys.Filter, p.c.Keys.Copy}
}

func (p *comparePage) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{relabelKey(p.openFailing, "the failing trace's waterfall"), relabelKey(p.openHealthy, "the healthy trace's waterfall"),
			k.Filter, relabelKey(k.Copy, "copy the healthy trace's id"), relabelKey(p.refresh, "read and search again")},
	}
}

func (p *comparePage) Filtering() bool   { return p.list.Filtering() }
func (p *comparePage) ClearFilter() bool { return p.list.ClearFilter() }

// CopyTarget is the healthy trace's id, the one found here.
func (p *comparePage) CopyTarget() (string, string, bool) {
	if id := p.healthyID(); id != "" {
		return "healthy trace id", id, true
	}
	return "trace id", p.id, true
}

var (
	_ tui.Filterer = (*comparePage)(nil)
	_ tui.Copier   = (*comparePage)(nil)
)
