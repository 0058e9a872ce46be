package agree_test

import (
	"context"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/sim"
	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest/agree"
)

// Every simulator scenario's verdict agrees with its drill-down pages and
// its report JSON, figure by figure (the demo's is checked in
// internal/demo).
func TestScenarioFiguresAgree(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, p := range sim.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			gen, err := sim.Generate(p.Scenario, now)
			if err != nil {
				t.Fatal(err)
			}
			inc := simsource.New(gen)
			o := triage.DefaultOptions()
			o.Now = func() time.Time { return now }
			o.Lookback = 10 * time.Minute
			src := inc.Sources()
			r, err := triage.NewInvestigation(src, o, triage.REDQueries{}).Run(context.Background(), inc.Alert(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Services) == 0 {
				t.Fatalf("%s: no service ranked: nothing to compare", p.Name)
			}
			c := tui.NewCommon(context.Background(), themes.Dark(), tui.Data{Sources: src, Options: o})
			c.Now = o.Now
			agree.Check(t, c, inc.Alert(), r)
		})
	}
}
