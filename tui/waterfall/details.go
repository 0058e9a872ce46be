package waterfall

import (
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// detailsView draws the selected span's details in w×h: a title row, then
// the lines from the panel's scroll offset.
func (p *page) detailsView(w, h int) []string {
	s := p.c.Styles
	out := make([]string, 0, h)
	title := " " + s.Title.Render("DETAILS") + s.Faint.Render(" · "+p.keys.tab.Help().Key+" focuses")
	if p.details == detailsFocused {
		title = s.Accent.Render("▶") + s.Title.Render("DETAILS") +
			s.Faint.Render(" · j/k scroll · "+p.c.Keys.Copy.Help().Key+" copies the span id · "+p.keys.tab.Help().Key+" hides")
	}
	if w == p.w {
		title = s.Border.Render("─") + title
	}
	out = append(out, pad(title, w))
	i, ok := p.selected()
	if !ok {
		return fill(out, w, h)
	}
	lines := p.detailLines(i, w)
	body := max(h-1, 0)
	off := max(min(p.dOffset, len(lines)-body), 0)
	for _, l := range lines[off:min(off+body, len(lines))] {
		out = append(out, pad(l, w))
	}
	return fill(out, w, h)
}

// fill pads the panel with blank rows to h rows of w cells.
func fill(lines []string, w, h int) []string {
	for blank := strings.Repeat(" ", w); len(lines) < h; {
		lines = append(lines, blank)
	}
	return lines[:h]
}

// detailLines are every line of span i's details. Everything in them but
// the labels comes from the trace, so every string goes through Fit.
func (p *page) detailLines(i int32, w int) []string {
	s := p.c.Styles
	d := p.d
	sp := d.span(i)
	m := d.mark[i]
	var out []string
	add := func(l string) { out = append(out, trunc(" "+l, w)) }

	head := s.Bold.Render(tui.Fit(sp.Service(), w/3)) + s.Faint.Render(" · ") + s.Text.Render(tui.Fit(sp.Name, w))
	if m&markError != 0 {
		head = s.ErrorPath.Render("✖ ") + head
	}
	add(head)
	add(s.Faint.Render(sp.Kind.String() + " · " + tui.Duration(sp.Duration()) + " · self " + tui.Duration(d.tree.SelfTime(int(i))) +
		" · at +" + tui.Duration(time.Duration(d.start[i]-d.t0))))
	parent := "root"
	if sp.ParentID != "" {
		parent = tui.Fit(sp.ParentID, 32)
		if d.parent(i) < 0 {
			parent += " (missing)"
		}
	}
	add(s.Faint.Render("span ") + s.Text.Render(tui.Fit(sp.SpanID, 32)) + s.Faint.Render(" · parent ") + s.Text.Render(parent))
	if sp.Error || sp.StatusMessage != "" {
		label := s.Faint.Render("status")
		if sp.Error {
			label = s.ErrorPath.Render("status error")
		}
		for k, l := range wrap(sp.StatusMessage, w-3, 4) {
			if k == 0 {
				add(label + s.Faint.Render(": ") + s.Text.Render(l))
				continue
			}
			add("  " + s.Text.Render(l))
		}
	}
	if m&markOrigin != 0 {
		add(s.ErrorPath.Render("◆ error origin") + s.Text.Render(p.originNote(sp)))
	} else if m&markPath != 0 {
		add(s.ErrorPath.Render("! on the error path"))
	}
	if m&markCritical != 0 {
		add(s.CriticalPath.Render("┃ critical path") + s.Faint.Render(": "+tui.Duration(d.crit[i])+" of the "+tui.Duration(d.duration())))
	}
	out = append(out, p.attrLines("ATTRIBUTES", sp.Attrs, w, 1)...)
	if sp.Resource != nil {
		out = append(out, p.attrLines("RESOURCE", sp.Resource.Attrs, w, 1)...)
	}
	if len(sp.Events) > 0 {
		add("")
		add(s.Title.Render("EVENTS") + s.Faint.Render(" ("+strconv.Itoa(len(sp.Events))+")"))
		for _, e := range sp.Events {
			at := "at ?"
			if !e.Time.IsZero() {
				at = "+" + tui.Duration(e.Time.Sub(sp.Start))
			}
			add(" " + s.Faint.Render(at) + " " + s.Text.Render(tui.Fit(e.Name, w-12)))
			out = append(out, p.attrLines("", e.Attrs, w, 3)...)
		}
	}
	if len(sp.Links) > 0 {
		add("")
		add(s.Title.Render("LINKS") + s.Faint.Render(" ("+strconv.Itoa(len(sp.Links))+") · "+p.keys.link.Help().Key+" opens"))
		for _, l := range sp.Links {
			where := "trace " + tui.Fit(l.TraceID, 32)
			if l.TraceID == "" || l.TraceID == p.id {
				where = "this trace"
			}
			add(" " + s.Text.Render(where) + s.Faint.Render(" · span ") + s.Text.Render(tui.Fit(l.SpanID, 16)))
			out = append(out, p.attrLines("", l.Attrs, w, 3)...)
		}
	}
	return out
}

// originNote says who the error is blamed on, when that is not the span's
// own service.
func (p *page) originNote(sp *triage.Span) string {
	for k := range p.d.an.Origins {
		o := &p.d.an.Origins[k]
		if o.SpanID == sp.SpanID && o.Peer {
			return ": " + tui.Fit(o.Service, 40) + " (called by " + tui.Fit(o.Caller, 40) + ", not instrumented)"
		}
	}
	return ""
}

// attrLines lists attributes as aligned key/value lines under a title
// (none when title is ""), indented by indent cells.
func (p *page) attrLines(title string, attrs triage.Attrs, w, indent int) []string {
	s := p.c.Styles
	var out []string
	if title != "" {
		if len(attrs) == 0 {
			return nil
		}
		out = append(out, "", " "+s.Title.Render(title)+s.Faint.Render(" ("+strconv.Itoa(len(attrs))+")"))
	}
	kw := 0
	for _, a := range attrs {
		kw = max(kw, tui.Width(tui.Fit(a.Key, 30)))
	}
	kw = min(kw, max(w/2-indent, 4))
	lead := pad("", indent)
	for _, a := range attrs {
		line := lead + s.Faint.Render(pad(tui.Fit(a.Key, kw), kw)) + " " + s.Text.Render(tui.Fit(a.Value, max(w-kw-indent-2, 1)))
		out = append(out, trunc(" "+line, w))
	}
	return out
}

// wrap sanitises an external message and breaks it into at most n lines
// of w cells, the first shortened by the label it follows; a cut is marked.
func wrap(msg string, w, n int) []string {
	msg = tui.Fit(msg, 1<<20)
	if msg == "" {
		return []string{""}
	}
	first := max(w-14, 8)
	var out []string
	for len(out) < n && msg != "" {
		lw := w
		if len(out) == 0 {
			lw = first
		}
		lw = max(lw, 8)
		if tui.Width(msg) <= lw {
			out = append(out, msg)
			return out
		}
		line := tui.Truncate(msg, lw, "")
		if sp := strings.LastIndexByte(line, ' '); sp > len(line)/2 {
			line = line[:sp+1]
		}
		out = append(out, strings.TrimRight(line, " "))
		msg = msg[len(line):]
	}
	if msg != "" {
		out[len(out)-1] = tui.Truncate(out[len(out)-1], max(w-1, 1), "") + "…"
	}
	return out
}
