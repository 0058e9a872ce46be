package waterfall

import (
	"context"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// linksPage lists the links of a span that has several, so one can be
// picked; enter follows it as the waterfall would.
type linksPage struct {
	from  *page
	title string
	list  *tui.List
	keys  pageKeys
}

func newLinksPage(from *page, sp *triage.Span) tui.PageFunc {
	return func(context.Context) tui.Page {
		c := from.c
		l := tui.NewList(c, tui.Column{Title: "TRACE", Width: 34}, tui.Column{Title: "SPAN", Width: 17}, tui.Column{Title: "ATTRIBUTES"})
		rows := make([]tui.Row, 0, len(sp.Links))
		for k, ln := range sp.Links {
			trace := ln.TraceID
			if trace == "" || trace == from.id {
				trace = "this trace"
			}
			attrs := make([]string, 0, len(ln.Attrs))
			for _, a := range ln.Attrs {
				attrs = append(attrs, a.Key+"="+a.Value)
			}
			rows = append(rows, tui.Row{Cells: []string{trace, ln.SpanID, strings.Join(attrs, " ")}, Key: strconv.Itoa(k)})
		}
		l.SetRows(rows)
		keys := from.keys
		keys.enter.SetHelp(keys.enter.Help().Key, "open linked trace")
		return &linksPage{from: from, title: "links of " + tui.Fit(sp.Name, 24), list: l, keys: keys}
	}
}

func (lp *linksPage) Init() tea.Cmd { return nil }

func (lp *linksPage) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return lp, nil
	}
	if !lp.list.Filtering() && key.Matches(k, lp.keys.enter) {
		return lp, lp.open()
	}
	lp.list.Update(k)
	return lp, nil
}

// open follows the selected link. A link into the trace below pops back
// to it, with the cursor on the linked span.
func (lp *linksPage) open() tea.Cmd {
	r, ok := lp.list.Selected()
	if !ok {
		return nil
	}
	sp, ok := lp.from.spanRef()
	if !ok {
		return nil
	}
	k, err := strconv.Atoi(r.Key)
	if err != nil || k < 0 || k >= len(sp.Links) {
		return nil
	}
	ln := sp.Links[k]
	if ln.TraceID == "" || ln.TraceID == lp.from.id {
		return tea.Batch(func() tea.Msg { return tui.PopMsg{} }, lp.from.follow(ln.TraceID, ln.SpanID))
	}
	return lp.from.follow(ln.TraceID, ln.SpanID)
}

func (lp *linksPage) View() string      { return lp.list.View() }
func (lp *linksPage) SetSize(w, h int)  { lp.list.SetSize(w, h) }
func (lp *linksPage) Title() string     { return lp.title }
func (lp *linksPage) Filtering() bool   { return lp.list.Filtering() }
func (lp *linksPage) ClearFilter() bool { return lp.list.ClearFilter() }
func (lp *linksPage) ShortHelp() []key.Binding {
	k := lp.from.c.Keys
	return []key.Binding{lp.keys.enter, k.Filter}
}

func (lp *linksPage) FullHelp() [][]key.Binding {
	k := lp.from.c.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {lp.keys.enter, k.Filter}}
}

// CopyTarget copies the selected link's trace id.
func (lp *linksPage) CopyTarget() (label, text string, ok bool) {
	sp, ok := lp.from.spanRef()
	r, sel := lp.list.Selected()
	if !ok || !sel {
		return "", "", false
	}
	k, _ := strconv.Atoi(r.Key)
	if k < 0 || k >= len(sp.Links) || sp.Links[k].TraceID == "" {
		return "", "", false
	}
	return "linked trace id", sp.Links[k].TraceID, true
}
