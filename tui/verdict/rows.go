package verdict

import (
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// Width classes: the columns grow with the terminal.
const (
	narrow = iota
	medium // ≥120 columns
	wide   // ≥160 columns
)

func widthClass(w int) int {
	switch {
	case w >= 160:
		return wide
	case w >= 120:
		return medium
	}
	return narrow
}

// columns are a section's columns at a width class. Cells are built for the
// widest layout, the extra columns last, so a narrower layout just shows
// fewer of them.
func (p *Page) columns(s *section, class int) []tui.Column {
	title := s.title()
	col := func(t string, w int, right bool) tui.Column { return tui.Column{Title: t, Width: w, Right: right} }
	switch s.kind {
	case secServices:
		d := "Δ" + p.offset()
		cols := []tui.Column{col(title, 21, false), col("role", 12, false), col("err%", 5, true), col(d, 6, true), col("fail/s", 6, true), col("p99", 6, true)}
		if class >= medium {
			cols = []tui.Column{col(title, 28, false), col("role", 12, false), col("err%", 6, true), col(d, 7, true), col("fail/s", 7, true), col("p99", 7, true),
				col("failing", 7, true), col("slow", 5, true)}
		}
		if class == wide {
			cols = append(cols, col("evidence", 0, false))
		}
		return cols
	case secUsers:
		a, b := p.detailTitles()
		cols := []tui.Column{col(title, 22, false), col("failed", 6, true), col("slow", 5, true), col(a, 10, false), col(b, 10, false)}
		if class >= medium {
			cols = append(cols, col("first", 8, false), col("last", 8, false), col("traces", 6, true))
		}
		if class == wide {
			cols = append(cols, col("trace ids", 0, false))
		}
		return cols
	case secDifferent:
		cols := []tui.Column{col(title, 40, false), col("failing", 8, true), col("baseline", 9, true)}
		if class >= medium {
			cols = []tui.Column{col(title, 56, false), col("failing", 8, true), col("baseline", 9, true), col("support", 8, true), col("spans", 12, false)}
		}
		return cols
	}
	cols := []tui.Column{col(title, 0, false), col("count", 7, true), col("vs "+p.offset(), 12, false)}
	switch class {
	case medium:
		cols = append(cols, col("level", 6, false), col("services", 18, false))
	case wide:
		cols = append(cols, col("level", 6, false), col("services", 30, false))
	}
	return cols
}

// offset is the baseline's distance from the incident window, for the
// "Δ1h" titles.
func (p *Page) offset() string {
	if p.rep != nil && !p.rep.Window.Start.IsZero() {
		return offsetLabel(p.rep.Window.Start.Sub(p.rep.Window.BaselineStart))
	}
	o := p.c.Data.Options.BaselineOffset
	if o <= 0 {
		o = triage.DefaultOptions().BaselineOffset
	}
	return offsetLabel(o)
}

// detailKeys are the user attributes shown as columns (tier, region).
func (p *Page) detailKeys() (string, string) {
	keys := p.c.Data.Options.UserDetailAttributes
	if keys == nil {
		keys = triage.DefaultOptions().UserDetailAttributes
	}
	var a, b string
	if len(keys) > 0 {
		a = keys[0]
	}
	if len(keys) > 1 {
		b = keys[1]
	}
	return a, b
}

func (p *Page) detailTitles() (string, string) {
	a, b := p.detailKeys()
	short := func(k string) string {
		if i := strings.LastIndexByte(k, '.'); i >= 0 {
			k = k[i+1:]
		}
		return k
	}
	return short(a), short(b)
}

func (p *Page) clock(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.In(p.c.Now().Location()).Format("15:04:05")
}

func (p *Page) serviceRows(r *triage.Report) []tui.Row {
	st := p.c.Styles
	rows := make([]tui.Row, 0, len(r.Services))
	for _, s := range r.Services {
		name := s.Name
		if s.Uninstrumented {
			name += " (peer)"
		}
		ev := s.Evidence[:min(len(s.Evidence), 4)]
		short := make([]string, len(ev))
		for i, e := range ev {
			short[i] = shortID(e)
		}
		role := st.Role(s.Role).Render(tui.Fit(s.RoleLabel(), 11))
		if s.PreExisting {
			// Failing as much an hour ago: noise, whatever its role.
			role = st.Faint.Render(s.RoleLabel())
		}
		rows = append(rows, tui.Row{
			Key: s.Name,
			Cells: []string{name, string(s.Role), pct(s.ErrorRatio), delta(s.ErrorRatio, s.ErrorRatioBaseline), rate(s.FailedPerS), millis(s.P99MS),
				itoa(s.FailingTraces), itoa(s.SlowTraces), strings.Join(short, " ")},
			Styled: map[int]string{1: role},
		})
	}
	return rows
}

func (p *Page) userRows(r *triage.Report) []tui.Row {
	a, b := p.detailKeys()
	rows := make([]tui.Row, 0, len(r.Users))
	for _, u := range r.Users {
		attr := func(k string) string {
			if v, ok := u.Attributes[k]; ok && k != "" {
				return v
			}
			return "—"
		}
		ids := u.TraceIDs[:min(len(u.TraceIDs), 4)]
		short := make([]string, len(ids))
		for i, id := range ids {
			short[i] = shortID(id)
		}
		rows = append(rows, tui.Row{
			Key: u.ID,
			Cells: []string{u.ID, u.FailedText(), u.SlowText(), attr(a), attr(b), p.clock(u.FirstSeen), p.clock(u.LastSeen),
				itoa(len(u.TraceIDs)), strings.Join(short, " ")},
		})
	}
	return rows
}

func differenceRows(r *triage.Report) []tui.Row {
	rows := make([]tui.Row, 0, len(r.Differences))
	for _, d := range r.Differences {
		kv := d.Attribute + "=" + d.Value
		spans := d.Where
		if len(d.Spans) > 0 {
			spans = strings.Join(d.Spans, "+")
		}
		rows = append(rows, tui.Row{
			Key:   kv,
			Cells: []string{kv, share(d.FailingShare), share(d.BaselineShare), itoa(d.Support), spans},
		})
	}
	return rows
}

func (p *Page) logRows(r *triage.Report) []tui.Row {
	st := p.c.Styles
	rows := make([]tui.Row, 0, len(r.LogPatterns))
	for _, lp := range r.LogPatterns {
		tag := lp.Tag
		if tag == "" {
			tag = triage.TagNoBaseline // a report from before tags said so
		}
		rows = append(rows, tui.Row{
			Key:    lp.Pattern,
			Cells:  []string{lp.Pattern, thousands(float64(lp.Count)), tag, lp.Level, strings.Join(lp.Services, ", ")},
			Styled: map[int]string{3: st.Level(lp.Level).Render(tui.Fit(lp.Level, 6))},
		})
	}
	return rows
}

// setReport takes a new snapshot: every section's state and rows are
// derived again, the cursors kept on the same keys.
func (p *Page) setReport(r *triage.Report) {
	p.rep = r
	var known [numSections]bool
	var rows [numSections][]tui.Row
	if r != nil {
		known = [numSections]bool{r.Services != nil, r.Users != nil, r.Differences != nil, r.LogPatterns != nil}
		rows = [numSections][]tui.Row{p.serviceRows(r), p.userRows(r), differenceRows(r), p.logRows(r)}
	}
	for i, s := range p.secs {
		if triage.IsTraceSource(s.source) {
			s.source = p.traceSource()
		}
		s.settle(r, known[i], len(rows[i]), p.running, p.runErr)
		s.list.SetRows(rows[i])
	}
}
