package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
	"github.com/triagectl/triage/tui/tuitest"
)

// At 80×24 the demo's IMPACT carries a measured failing ratio and its
// scope: the line wraps under its label instead of losing its end.
func TestDemoVerdictWrapsImpact(t *testing.T) {
	b, rp, c := replayed(t)
	c.Width, c.Height = 80, 24
	c.Nav = console.Nav(c)
	a := tui.NewApp(c, console.Incident(c, rp.Alert, b.Report))
	m := tuitest.Run(a, a.Init())
	v := m.View().Content
	tuitest.CheckSize(t, v, 80, 24)
	tuitest.Golden(t, "verdict_80x24", v)

	lines := strings.Split(ansi.Strip(v), "\n")
	var impact []string
	for i, l := range lines {
		if strings.HasPrefix(l, " IMPACT") {
			for _, w := range lines[i:] {
				if w != lines[i] && !strings.HasPrefix(w, "         ") {
					break
				}
				impact = append(impact, strings.TrimSpace(w))
			}
		}
	}
	text := strings.Join(impact, " ")
	for _, want := range []string{"failing (entry requests of storefront,", "culprit: payments → ledger-db (timeout)"} {
		if !strings.Contains(text, want) {
			t.Errorf("IMPACT lacks %q:\n%s", want, strings.Join(impact, "\n"))
		}
	}
	for _, l := range impact {
		if strings.HasSuffix(l, "…") {
			t.Errorf("an IMPACT line is cut: %q", l)
		}
	}
}

// replayed is the embedded demo, its sources replayed, and a console's
// Common on them at the demo's own clock.
func replayed(t *testing.T) (*bundle.Bundle, *app.Replayed, *tui.Common) {
	t.Helper()
	b, err := demo.Open()
	if err != nil {
		t.Fatal(err)
	}
	rp, err := app.ReplaySources(b, bundle.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := tui.NewCommon(context.Background(), themes.Dark(), tui.Data{Sources: rp.Sources, Options: rp.Options, RED: rp.RED})
	now := b.Header.Options.Now
	c.Now = func() time.Time { return now }
	return b, rp, c
}
