package tui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// App is the program's root model: the page stack, the breadcrumbs, the
// footer, and the overlays every page shares (help, command palette,
// sources panel, silence prompt).
type App struct {
	c       *Common
	stack   []Page
	ids     []PageID
	cancels []context.CancelFunc
	lastID  PageID

	status   StatusMsg
	panel    *panel // help or the sources panel, when open
	palette  *palette
	silence  *silencePrompt
	quitting bool
	initCmd  tea.Cmd
}

// NewApp builds the program's root model with the first page.
func NewApp(c *Common, root PageFunc) *App {
	a := &App{c: c}
	a.initCmd = a.push(root)
	return a
}

// Common returns the program's shared state.
func (a *App) Common() *Common { return a.c }

// Top is the page that has the keys.
func (a *App) Top() Page { return a.stack[len(a.stack)-1] }

// Root is the bottom page of the stack.
func (a *App) Root() Page { return a.stack[0] }

// Depth is the number of stacked pages.
func (a *App) Depth() int { return len(a.stack) }

func (a *App) push(f PageFunc) tea.Cmd {
	a.lastID++
	ctx, cancel := context.WithCancel(withPageID(a.c.Ctx, a.lastID))
	p := f(ctx)
	p.SetSize(a.pageSize())
	a.stack = append(a.stack, p)
	a.ids = append(a.ids, a.lastID)
	a.cancels = append(a.cancels, cancel)
	return p.Init()
}

func (a *App) pop() {
	if len(a.stack) <= 1 {
		return
	}
	n := len(a.stack) - 1
	a.cancels[n]()
	a.stack, a.ids, a.cancels = a.stack[:n], a.ids[:n], a.cancels[:n]
	a.Top().SetSize(a.pageSize())
}

// pageSize is the room left for a page: the breadcrumb row and the footer
// row belong to the app.
func (a *App) pageSize() (int, int) { return a.c.Width, max(a.c.Height-2, 1) }

// Init starts the root page.
func (a *App) Init() tea.Cmd { return a.initCmd }

// nearestIncident finds the incident page closest to the top.
func (a *App) nearestIncident() (Incident, int) {
	for i := len(a.stack) - 1; i >= 0; i-- {
		if inc, ok := a.stack[i].(Incident); ok {
			return inc, i
		}
	}
	return nil, -1
}

// Update routes a message: app keys first, then the overlays, then the top
// page. An async result goes to the page that asked, wherever it is in the
// stack (and nowhere once that page is gone); news every page may care
// about goes to all of them; anything else to the top page.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.c.Width, a.c.Height = msg.Width, msg.Height
		w, h := a.pageSize()
		for _, p := range a.stack {
			p.SetSize(w, h)
		}
		return a, nil
	case PushMsg:
		a.closeOverlays()
		return a, a.push(msg.New)
	case PopMsg:
		a.pop()
		return a, nil
	case StatusMsg:
		a.status = msg
		return a, nil
	case silenceDoneMsg:
		return a, a.silenceDone(msg)
	case tea.KeyPressMsg:
		return a, a.key(msg)
	case tea.PasteMsg:
		// A paste goes to the prompt that is open: a trace id into the
		// palette, a comment into the silence prompt.
		switch {
		case a.silence != nil:
			a.silence.input(msg)
			return a, nil
		case a.palette != nil:
			a.palette.input.Update(msg)
			a.palette.choice = 0
			return a, nil
		}
	}
	switch m := msg.(type) {
	case Routed:
		for i, id := range a.ids {
			if id == m.RoutedTo() {
				return a, a.toPage(i, msg)
			}
		}
		return a, nil
	case Broadcast:
		var cmds []tea.Cmd
		for i := range a.stack {
			cmds = append(cmds, a.toPage(i, msg))
		}
		return a, tea.Batch(cmds...)
	}
	return a, a.toTop(msg)
}

// toPage hands msg to the i-th page of the stack.
func (a *App) toPage(i int, msg tea.Msg) tea.Cmd {
	p, cmd := a.stack[i].Update(msg)
	a.stack[i] = p
	return cmd
}

func (a *App) closeOverlays() {
	a.panel, a.palette, a.silence = nil, nil, nil
}

func (a *App) key(k tea.KeyPressMsg) tea.Cmd {
	keys := a.c.Keys
	if key.Matches(k, keys.ForceQuit) {
		a.quitting = true
		return tea.Quit
	}
	a.status = StatusMsg{}
	switch {
	case a.silence != nil:
		return a.silenceKey(k)
	case a.palette != nil:
		return a.paletteKey(k)
	case a.panel != nil:
		return a.panelKey(k)
	}
	top := a.Top()
	if f, ok := top.(Filterer); ok && f.Filtering() {
		return a.toTop(k)
	}
	switch {
	case key.Matches(k, keys.Back):
		if f, ok := top.(Filterer); ok && f.ClearFilter() {
			return nil
		}
		a.pop()
		return nil
	case key.Matches(k, keys.Quit):
		if len(a.stack) == 1 {
			a.quitting = true
			return tea.Quit
		}
		a.pop()
		return nil
	case key.Matches(k, keys.Help):
		a.openPanel(panelHelp)
		return nil
	case key.Matches(k, keys.Command):
		a.palette = newPalette(a.c, a.commands())
		return nil
	case key.Matches(k, keys.Sources):
		if inc, _ := a.nearestIncident(); inc != nil {
			a.openPanel(panelSources)
			return nil
		}
	case key.Matches(k, keys.Silence):
		if inc, _ := a.nearestIncident(); inc != nil {
			return a.startSilence(inc)
		}
	case key.Matches(k, keys.Copy):
		if cp, ok := top.(Copier); ok {
			if label, text, ok := cp.CopyTarget(); ok {
				return copyCmd(label, text)
			}
		}
	case key.Matches(k, keys.Open):
		if ln, ok := top.(Linker); ok {
			if link, ok := ln.ExploreLink(); ok {
				return openLinkCmd(link)
			}
			return Status("no Grafana link: set grafana.url in the config", true)
		}
	}
	return a.toTop(k)
}

func (a *App) toTop(msg tea.Msg) tea.Cmd { return a.toPage(len(a.stack)-1, msg) }

// panelKey moves the open panel, copies its selected query, or closes it.
func (a *App) panelKey(k tea.KeyPressMsg) tea.Cmd {
	keys := a.c.Keys
	switch {
	case key.Matches(k, keys.Back, keys.Help, keys.Quit) || a.panel.kind == panelSources && key.Matches(k, keys.Sources):
		a.panel = nil
	case a.panel.kind == panelSources && key.Matches(k, keys.Copy):
		if t, ok := a.panel.target(); ok {
			return copyCmd(t.label, t.text)
		}
		return Status("no query to copy", true)
	default:
		a.layoutPanel(a.pageSize())
		a.panel.key(keys, k)
	}
	return nil
}

// copyCmd copies through OSC 52, which reaches the local clipboard over
// SSH too.
func copyCmd(label, text string) tea.Cmd {
	return tea.Batch(tea.SetClipboard(text), Status("copied "+label+": "+Fit(text, 60), false))
}

// openLinkCmd copies a Grafana link and shows it as an OSC 8 hyperlink.
func openLinkCmd(link string) tea.Cmd {
	return tea.Batch(tea.SetClipboard(link), func() tea.Msg {
		return StatusMsg{Text: "copied Grafana link: " + ansi.SetHyperlink(link) + Fit(link, 60) + ansi.ResetHyperlink()}
	})
}

// View draws breadcrumbs, the top page (or an overlay), and the footer.
func (a *App) View() tea.View {
	v := tea.NewView(a.render())
	v.AltScreen = true
	v.WindowTitle = "triage"
	return v
}

func (a *App) render() string {
	if a.quitting {
		return ""
	}
	w, h := a.pageSize()
	var body string
	if a.panel != nil {
		a.layoutPanel(w, h)
		body = a.panel.View(a.c.Styles, w)
	} else {
		body = a.Top().View()
	}
	body = FitBlock(body, w, h)
	if a.palette != nil {
		body = overlayBottom(body, a.palette.View(w), h)
	}
	if a.silence != nil {
		body = overlayBottom(body, a.silence.View(w), h)
	}
	return a.breadcrumbs() + "\n" + body + "\n" + a.footer()
}

func (a *App) breadcrumbs() string {
	s := a.c.Styles
	var parts []string
	for _, p := range a.stack {
		parts = append(parts, safeTitle(p.Title()))
	}
	line := s.Breadcrumb.Render(" " + strings.Join(parts, " › "))
	if a.c.Demo {
		line = " " + s.Selected.Render(" DEMO ") + line
	}
	if a.c.Pipeline != nil {
		line = a.pipeline(a.c.Pipeline()) + " " + line
	}
	return Truncate(line, a.c.Width, "…")
}

// pipeline is the dead man's switch: quiet when the Watchdog beats, loud
// (symbol, words and colour) when it has gone silent.
func (a *App) pipeline(h PipelineHealth) string {
	s := a.c.Styles
	now := a.c.Now()
	switch {
	case h.Silent && h.LastBeat.IsZero():
		return s.StateStyle("failed").Render(" ✖ ALERT PIPELINE SILENT: no heartbeat yet")
	case h.Silent:
		return s.StateStyle("failed").Render(" ✖ ALERT PIPELINE SILENT " + shortAge(now.Sub(h.LastBeat)))
	case h.LastBeat.IsZero():
		return s.Faint.Render(" ○ alert pipeline: waiting for a heartbeat")
	}
	return s.StateStyle("ok").Render(" ●") + s.Faint.Render(" alert pipeline ok · heartbeat "+shortAge(now.Sub(h.LastBeat))+" ago ·")
}

// shortAge renders an age as 40s, 12m or 3h5m.
func shortAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(max(d, 0)/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(int(d/time.Hour)) + "h" + strconv.Itoa(int(d%time.Hour/time.Minute)) + "m"
}

func safeTitle(t string) string { return Fit(t, 40) }

func (a *App) footer() string {
	s := a.c.Styles
	if a.status.Text != "" {
		st := s.Accent
		if a.status.Err {
			st = s.Unknown
		}
		return Truncate(" "+st.Render(a.status.Text), a.c.Width, "…")
	}
	if a.panel != nil {
		return " " + fitBindings(s, a.panelKeys(), nil, a.c.Width-1)
	}
	tail := []key.Binding{a.c.Keys.Help}
	if len(a.stack) == 1 {
		tail = append(tail, a.c.Keys.Quit)
	} else {
		tail = append(tail, a.c.Keys.Back)
	}
	return " " + fitBindings(s, a.Top().ShortHelp(), tail, a.c.Width-1)
}

// fitBindings draws the key hints in at most w cells: the tail's always,
// then as many of binds, in order, as fit whole. A hint is never cut in
// the middle of its words; help lists them all.
func fitBindings(s *Styles, binds, tail []key.Binding, w int) string {
	sep := s.FooterDesc.Render(" · ")
	render := func(list []key.Binding) []string {
		var parts []string
		for _, b := range list {
			if !b.Enabled() || b.Help().Key == "" {
				continue
			}
			parts = append(parts, s.FooterKey.Render(b.Help().Key)+" "+s.FooterDesc.Render(b.Help().Desc))
		}
		return parts
	}
	head, end := render(binds), render(tail)
	used := Width(strings.Join(end, sep))
	var keep []string
	for _, p := range head {
		if used+Width(p)+3 > w {
			break
		}
		keep = append(keep, p)
		used += Width(p) + 3
	}
	return Truncate(strings.Join(append(keep, end...), sep), w, "…")
}

// FitBlock pads or cuts s to exactly h rows of at most w cells, so a page
// that draws too much never pushes the footer off screen.
func FitBlock(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = Truncate(l, w, "…")
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// overlayBottom replaces the last rows of body with the overlay's rows.
func overlayBottom(body, overlay string, h int) string {
	lines := strings.Split(body, "\n")
	ol := strings.Split(overlay, "\n")
	start := max(h-len(ol), 0)
	for i, l := range ol {
		if start+i < len(lines) {
			lines[start+i] = l
		}
	}
	return strings.Join(lines, "\n")
}

// FitLines is FitBlock over rows already split.
func FitLines(lines []string, w, h int) string { return FitBlock(strings.Join(lines, "\n"), w, h) }

// Unknown draws a section whose source failed: "unknown — <source>:
// <reason>", never a 0 or an empty "all good".
func Unknown(c *Common, source, reason string, w int) string {
	return c.Styles.Unknown.Render(Fit("unknown — "+source+": "+reason, w))
}
