package verdict

import (
	"context"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// ListOptions tune the incident list; every field is optional.
type ListOptions struct {
	// Load fetches the alerts. When set, the list loads from it when it
	// starts and again on `r`, instead of showing the alerts it was given.
	Load func(ctx context.Context) ([]triage.Alert, error)
	// Resolved reports an alert that no longer fires; nil: all fire.
	Resolved func(a triage.Alert) bool
	// Status is the pre-warm status of an alert's investigation ("ready",
	// "running"…); nil shows "—".
	Status func(fingerprint string) string
	// Loaded says the alerts given are current: the list does not load
	// them again when it starts.
	Loaded bool
	// Source names where the alerts come from, in "unknown — <source>:
	// <reason>"; "alertmanager" when empty.
	Source string
	// Origin, when set, says what the list holds ("received by triage
	// serve") after its counts.
	Origin string
	// Report is an alert's pre-warmed report, nil when there is none:
	// enter then opens the verdict without investigating again.
	Report func(fingerprint string) *triage.Report
}

// Incidents is the incident list, the root page of `triage`.
type Incidents struct {
	c          *tui.Common
	ctx        context.Context
	opts       ListOptions
	configured bool
	alerts     []triage.Alert
	byKey      map[string]triage.Alert
	list       *tui.List

	load     *tui.Load
	loadErr  string
	known    bool      // the alerts shown were read (or given), not unknown
	loadedAt time.Time // when they were last read

	width, height int
}

// alertsMsg is a load's answer.
type alertsMsg struct {
	alerts []triage.Alert
	err    error
}

// NewList is the incident list of Alertmanager's firing alerts; without
// Alertmanager it says how to configure it.
func NewList(c *tui.Common) tui.PageFunc {
	var opts ListOptions
	if c.Data.Alerts != nil {
		opts.Load = c.Data.Alerts.Firing
	}
	return newIncidents(c, nil, opts, c.Data.Alerts != nil)
}

// NewListOf is the incident list of the given alerts, for a caller that
// holds them already (a daemon's store, a test).
func NewListOf(c *tui.Common, alerts []triage.Alert, opts ListOptions) tui.PageFunc {
	return newIncidents(c, alerts, opts, true)
}

func newIncidents(c *tui.Common, alerts []triage.Alert, opts ListOptions, configured bool) tui.PageFunc {
	return func(ctx context.Context) tui.Page {
		p := &Incidents{c: c, ctx: ctx, opts: opts, configured: configured, load: tui.NewLoad(ctx, c)}
		p.list = tui.NewList(c)
		p.known = alerts != nil
		p.setAlerts(alerts)
		p.SetSize(c.Width, max(c.Height-2, 1))
		return p
	}
}

// Init loads the alerts when there is a loader, unless the alerts given
// are current (ListOptions.Loaded).
func (p *Incidents) Init() tea.Cmd {
	if p.opts.Loaded {
		return nil
	}
	return p.reload()
}

func (p *Incidents) reload() tea.Cmd {
	if p.opts.Load == nil {
		return nil
	}
	load, ctx := p.opts.Load, p.ctx
	return p.load.Start(func() any {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		alerts, err := load(ctx)
		return alertsMsg{alerts: alerts, err: err}
	})
}

// Update handles keys, the loaded alerts, the spinner and the news that
// the incidents behind the list changed.
func (p *Incidents) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	switch m := msg.(type) {
	case tea.KeyPressMsg:
		return p, p.key(m)
	case tui.IncidentsChangedMsg:
		if len(m.IDs) == 0 {
			return p, nil
		}
		// The list keeps the selection on the same row.
		return p, p.reload()
	}
	v, ok, cmd := p.load.Update(msg)
	if !ok {
		return p, cmd
	}
	m := v.(alertsMsg)
	if m.err != nil {
		why, _ := triage.ErrorInfo(m.err)
		p.loadErr = p.source() + ": " + why
		return p, nil
	}
	p.loadErr, p.known, p.loadedAt = "", true, p.c.Now()
	p.setAlerts(m.alerts)
	return p, nil
}

func (p *Incidents) key(k tea.KeyPressMsg) tea.Cmd {
	keys := p.c.Keys
	if p.list.Filtering() {
		p.list.Update(k)
		return nil
	}
	switch {
	case key.Matches(k, keys.Enter):
		return p.open()
	case key.Matches(k, keys.Refresh):
		p.setAlerts(p.alerts) // statuses move on even without a loader
		return p.reload()
	}
	p.list.Update(k)
	return nil
}

// open pushes the selected alert's verdict.
func (p *Incidents) open() tea.Cmd {
	row, ok := p.list.Selected()
	if !ok {
		return nil
	}
	a := p.byKey[row.Key]
	if p.c.Nav.Verdict == nil {
		return unavailable("the verdict page")
	}
	var rep *triage.Report
	if p.opts.Report != nil {
		rep = p.opts.Report(a.Fingerprint)
	}
	return tui.Push(p.c.Nav.Verdict(a, rep))
}

func alertKey(a triage.Alert) string {
	if a.Fingerprint != "" {
		return a.Fingerprint
	}
	return a.Name + "@" + a.StartsAt.Format(time.RFC3339Nano)
}

func (p *Incidents) resolved(a triage.Alert) bool {
	return p.opts.Resolved != nil && p.opts.Resolved(a)
}

// setAlerts orders the alerts, firing first and newest first, and builds
// the rows.
func (p *Incidents) setAlerts(alerts []triage.Alert) {
	p.alerts = append([]triage.Alert(nil), alerts...)
	sort.SliceStable(p.alerts, func(i, j int) bool {
		a, b := p.alerts[i], p.alerts[j]
		if ra, rb := p.resolved(a), p.resolved(b); ra != rb {
			return rb
		}
		if !a.StartsAt.Equal(b.StartsAt) {
			return a.StartsAt.After(b.StartsAt)
		}
		return a.Name < b.Name
	})
	st := p.c.Styles
	labels := p.c.Data.Options.ServiceLabels
	if len(labels) == 0 {
		labels = triage.DefaultOptions().ServiceLabels
	}
	p.byKey = make(map[string]triage.Alert, len(p.alerts))
	rows := make([]tui.Row, 0, len(p.alerts))
	for _, a := range p.alerts {
		k := alertKey(a)
		p.byKey[k] = a
		state := "● firing"
		var style *lipgloss.Style
		if p.resolved(a) {
			state, style = "○ resolved", &st.Faint
		}
		status := "—"
		if p.opts.Status != nil {
			if s := p.opts.Status(a.Fingerprint); s != "" {
				status = s
			}
		}
		sev := a.Labels["severity"]
		ageText, started := "?", "?"
		if !a.StartsAt.IsZero() {
			ageText = age(p.c.Now().Sub(a.StartsAt))
			started = a.StartsAt.In(p.c.Now().Location()).Format("01-02 15:04")
		}
		summary := a.Annotations["summary"]
		if summary == "" {
			summary = a.Annotations["description"]
		}
		rows = append(rows, tui.Row{
			Key:    k,
			Cells:  []string{state, sev, a.Name, triage.ResolveScope(a, labels).Service, ageText, status, started, summary},
			Styled: map[int]string{1: st.Severity(tui.Fit(sev, 12))},
			Style:  style,
		})
	}
	p.list.SetRows(rows)
}

// SetSize sets the page's area.
func (p *Incidents) SetSize(w, h int) {
	p.width, p.height = w, h
	col := func(t string, w int, right bool) tui.Column { return tui.Column{Title: t, Width: w, Right: right} }
	if widthClass(w) >= medium {
		p.list.Columns = []tui.Column{col("state", 10, false), col("severity", 12, false), col("alert", 24, false), col("service", 16, false),
			col("age", 6, true), col("pre-warm", 10, false), col("started", 11, false), col("summary", 0, false)}
	} else {
		p.list.Columns = []tui.Column{col("state", 10, false), col("severity", 12, false), col("alert", 0, false), col("service", 14, false),
			col("age", 5, true), col("pre-warm", 8, false)}
	}
	p.list.SetSize(w, max(h-1, 1))
}

// View draws the title line and the alerts.
func (p *Incidents) View() string {
	st := p.c.Styles
	w := p.width
	if !p.configured {
		lines := []string{
			" " + st.Title.Render("INCIDENTS") + "  " + st.Unknown.Render("no Alertmanager configured"),
			"",
			" The incident list reads the firing alerts from Alertmanager. Set its URL:",
			"   config file   sources.alertmanager.url: http://alertmanager:9093",
			"   environment   TRIAGE_SOURCES_ALERTMANAGER_URL=http://alertmanager:9093",
			"   flag          --alertmanager-url http://alertmanager:9093",
			"",
			" Or open one alert directly: triage open --alert-file payload.json",
		}
		return tui.FitLines(lines, w, p.height)
	}
	firing, resolved := 0, 0
	for _, a := range p.alerts {
		if p.resolved(a) {
			resolved++
		} else {
			firing++
		}
	}
	head := " " + st.Title.Render("INCIDENTS") + "  "
	retry := st.Faint.Render(" · " + p.c.Keys.Refresh.Help().Key + " retries")
	body := p.list.View()
	switch {
	case !p.known && p.loadErr != "":
		// Unknown is never zero: no count until the source answers.
		head += st.Unknown.Render("unknown — "+tui.Fit(p.loadErr, w)) + retry
		body = st.Faint.Render(" the incidents cannot be listed until " + p.source() + " answers")
	case !p.known:
		head += p.load.Spinner() + st.Faint.Render("loading alerts…")
		body = ""
	default:
		head += st.Text.Render(itoa(firing) + " firing")
		if resolved > 0 {
			head += st.Faint.Render(" · " + itoa(resolved) + " resolved")
		}
		if p.opts.Origin != "" {
			head += st.Faint.Render(" · " + p.opts.Origin)
		}
		switch {
		case p.load.Loading():
			head += "  " + p.load.Spinner() + st.Faint.Render("loading alerts…")
		case p.loadErr != "":
			// The rows stand as last read; the failure and their age say so.
			head += "  " + st.Unknown.Render("✖ "+tui.Fit(p.loadErr, w)) + retry +
				st.Faint.Render(" · rows as of "+p.loadedAt.In(p.c.Now().Location()).Format("15:04:05"))
		}
		if len(p.alerts) == 0 && !p.load.Loading() && p.loadErr == "" {
			body = st.Faint.Render(" no alert is firing")
		}
	}
	return tui.FitLines(append([]string{head}, strings.Split(body, "\n")...), w, p.height)
}

// Title is the breadcrumb.
func (p *Incidents) Title() string { return "Incidents" }

// ShortHelp is the footer's keys.
func (p *Incidents) ShortHelp() []key.Binding {
	k := p.c.Keys
	if !p.configured {
		return nil
	}
	return []key.Binding{k.Enter, k.Filter, k.Refresh}
}

// FullHelp is every key of the page.
func (p *Incidents) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Enter, k.Filter, k.Refresh}}
}

// Filtering reports whether the filter prompt has the keys.
func (p *Incidents) Filtering() bool { return p.list.Filtering() }

// ClearFilter clears the filter.
func (p *Incidents) ClearFilter() bool { return p.list.ClearFilter() }

// Commands lists `:alerts`, which comes back to the list from anywhere.
func (p *Incidents) Commands() []string { return []string{"alerts"} }

// RunCommand runs a palette command; the app has already popped the pages
// above the list.
func (p *Incidents) RunCommand(name string) (tea.Cmd, bool) { return nil, name == "alerts" }

var (
	_ tui.Page      = (*Incidents)(nil)
	_ tui.Filterer  = (*Incidents)(nil)
	_ tui.Commander = (*Incidents)(nil)
)

// source is where the alerts come from, for "unknown — <source>: …".
func (p *Incidents) source() string {
	if p.opts.Source != "" {
		return p.opts.Source
	}
	return "alertmanager"
}
