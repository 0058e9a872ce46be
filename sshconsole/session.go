package sshconsole

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	charmssh "charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/bubbletea"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
	"github.com/triagectl/triage/tui/verdict"
)

const usage = "usage: ssh -t HOST -p PORT [incident-id]"

// programMiddleware runs one program per session: the incident list, or
// with an argument that incident's verdict (over the list, so esc goes
// back to it).
func (s *Server) programMiddleware() wish.Middleware {
	return func(next charmssh.Handler) charmssh.Handler {
		return func(sess charmssh.Session) {
			s.runSession(sess)
			next(sess)
		}
	}
}

func (s *Server) runSession(sess charmssh.Session) {
	ctx := sess.Context()
	args := sess.Command()
	if len(args) > 1 || len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fail(sess, usage)
		return
	}
	pty, winCh, _ := sess.Pty()
	data := newSessionData(s.store)
	c, err := s.common(ctx, sess, pty, data)
	if err != nil {
		fail(sess, err.Error())
		return
	}
	var model tea.Model
	if len(args) == 1 {
		model, err = openIncident(ctx, c, data, args[0])
	} else {
		model = openList(ctx, c, data)
	}
	if err != nil {
		fail(sess, err.Error())
		return
	}

	idle := &idleClock{}
	idle.touch()
	opts := append(bubbletea.MakeOptions(sess),
		tea.WithContext(ctx),
		// The daemon handles its own signals; a session must not.
		tea.WithoutSignalHandler(),
		tea.WithFilter(idle.filter))
	p := tea.NewProgram(model, opts...)
	live := newLiveSession(p, data)
	live.key = sess.PublicKey()
	if !s.register(live) {
		fail(sess, "the server is shutting down")
		return
	}
	defer s.unregister(live)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go live.deliver(pctx)
	go resize(pctx, p, winCh)
	go idle.watch(pctx, s.cfg.IdleTimeout, live)

	_, err = p.Run()
	p.Kill() // restores the client's terminal even after a crash
	cancel()
	code := 0
	switch {
	case errors.Is(err, tea.ErrProgramPanic):
		c.Log.Error("session program panicked", "error", err)
		live.end("the console failed; the daemon's log has the details")
		code = 1
	case err != nil && !errors.Is(err, tea.ErrProgramKilled):
		// Killed is the client leaving; anything else is ours.
		c.Log.Error("session program failed", "error", err)
		code = 1
	}
	if why := live.reason(); why != "" {
		// On the program's own stream, so it lands after the program has
		// left the alternate screen, never inside it.
		_, _ = fmt.Fprintf(sess, "triage: %s\r\n", why)
	}
	_ = sess.Exit(code)
}

// common is the session's own Common: its terminal size, its theme (the
// client's NO_COLOR forces mono), its Alertmanager author, and the
// daemon's pipeline heartbeat.
func (s *Server) common(ctx context.Context, sess charmssh.Session, pty charmssh.Pty, data *sessionData) (*tui.Common, error) {
	env := sess.Environ()
	theme, err := themes.Select(s.cfg.Theme, func(k string) string { return lookupEnv(env, k) })
	if err != nil {
		return nil, err
	}
	o := s.deps.Console
	o.Theme = theme
	author := fmt.Sprintf("%s via triage ssh (%s)", tui.Fit(sess.User(), 32), Fingerprint(sess.PublicKey()))
	if s.deps.AlertsFor != nil {
		o.Data.Alerts = s.deps.AlertsFor(author)
	}
	o.Log = s.log.With("remote", sess.RemoteAddr().String(), "user", tui.Fit(sess.User(), 32))
	return sessionCommon(ctx, o, s.store, data, pty.Window.Width, pty.Window.Height)
}

// sessionCommon builds a session's Common on the store: its verdict pages
// follow the daemon's pre-warms, and the header shows its heartbeat.
func sessionCommon(ctx context.Context, o console.Options, store Store, data *sessionData, w, h int) (*tui.Common, error) {
	c, err := console.NewCommon(ctx, o)
	if err != nil {
		return nil, err
	}
	c.Width, c.Height = max(w, 1), max(h, 1)
	c.Pipeline = func() tui.PipelineHealth {
		h := store.Pipeline()
		return tui.PipelineHealth{LastBeat: h.LastBeat, Silent: h.Silent}
	}
	open := c.Nav.Verdict
	c.Nav.Verdict = func(a triage.Alert, rep *triage.Report) tui.PageFunc {
		// The session follows this incident's pre-warms from now on.
		data.follow(a, rep)
		return open(a, rep)
	}
	return c, nil
}

// openList is the session's default: the incident list, read before the
// first frame so it opens on the newest firing incident.
func openList(ctx context.Context, c *tui.Common, data *sessionData) tea.Model {
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	alerts, ahead, err := data.listing(rctx)
	cancel()
	if err == nil {
		go data.prefetch(ctx, ahead)
	}
	opts := data.listOptions(ctx)
	opts.Loaded = err == nil
	return tui.NewApp(c, verdict.NewListOf(c, alerts, opts))
}

// openIncident is `ssh host <id>`: the incident's verdict over the list.
func openIncident(ctx context.Context, c *tui.Common, data *sessionData, id string) (tea.Model, error) {
	in, err := data.open(ctx, id)
	switch {
	case errors.Is(err, serve.ErrNotFound):
		return nil, fmt.Errorf("no incident %q; connect without an argument to list them", tui.Fit(id, 64))
	case err != nil:
		return nil, fmt.Errorf("reading incident %q: %s", tui.Fit(id, 64), tui.Fit(err.Error(), 200))
	}
	app := tui.NewApp(c, verdict.NewListOf(c, nil, data.listOptions(ctx)))
	_, first := app.Update(tui.PushMsg{New: c.Nav.Verdict(in.Alert, in.Report)})
	return startModel{App: app, first: first}, nil
}

// startModel is the app with the commands of a page pushed before the
// program started; once running, the program holds the app itself.
type startModel struct {
	*tui.App
	first tea.Cmd
}

func (m startModel) Init() tea.Cmd { return tea.Batch(m.App.Init(), m.first) }

// resize forwards the client's window changes.
func resize(ctx context.Context, p *tea.Program, winCh <-chan charmssh.Window) {
	for {
		select {
		case <-ctx.Done():
			return
		case w, ok := <-winCh:
			if !ok {
				return
			}
			p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
		}
	}
}

// idleClock is the time of the session's last input.
type idleClock struct{ last atomic.Int64 }

func (i *idleClock) touch() { i.last.Store(time.Now().UnixNano()) }

// filter notes input, and keeps a session from suspending: there is no
// shell to suspend to.
func (i *idleClock) filter(_ tea.Model, msg tea.Msg) tea.Msg {
	switch msg.(type) {
	case tea.SuspendMsg:
		return tea.ResumeMsg{}
	case tea.KeyPressMsg, tea.KeyReleaseMsg, tea.MouseMsg, tea.PasteMsg, tea.WindowSizeMsg:
		i.touch()
	}
	return msg
}

// watch ends the session after d without input; d <= 0 never does.
func (i *idleClock) watch(ctx context.Context, d time.Duration, l *liveSession) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		since := time.Since(time.Unix(0, i.last.Load()))
		if since >= d {
			l.end("closed after " + config.ShortDuration(d) + " without input")
			return
		}
		t.Reset(d - since)
	}
}

func lookupEnv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}
