package verdict

import (
	"context"
	"strings"
	"testing"

	"github.com/triagectl/triage/tui/tuitest"
)

// Whatever the alert and the backends carry, the verdict fits its area and
// cannot act on the terminal.
func FuzzVerdictView(f *testing.F) {
	fx := tuitest.Fixture(f)
	f.Add(fx.Alert.Name, fx.Report.Services[0].Name, fx.Report.LogPatterns[0].Pattern, fx.Report.Users[0].ID, 80, 24)
	for i, e := range evil {
		f.Add(e, poison(i, "svc"), poison(i+1, "pattern"), "u"+e, 120, 40)
	}
	f.Add("名前がとても長いアラート", "サービス", "ログ\t\n", "👩‍💻", 61, 17)
	f.Fuzz(func(t *testing.T, name, service, pattern, user string, w, h int) {
		w, h = 20+abs(w)%200, 6+abs(h)%60
		a := fx.Alert
		a.Name = name
		a.Labels = map[string]string{"service": service, "severity": name, name: service}
		a.Annotations = map[string]string{"summary": pattern}
		r := fx.Report.Clone()
		r.Services[0].Name, r.Impact.Culprit = service, service
		r.LogPatterns[0].Pattern = pattern
		r.Users[0].ID = user
		r.Differences[0].Value = pattern
		r.Impact.EntryPoints = []string{user}
		c := tuitest.Common(t, w, h+2)
		p := New(c, a, r)(context.Background()).(*Page)
		for _, k := range []string{"", "tab", "j", "/", "x", "enter", "tab", "tab", "tab"} {
			if k != "" {
				p.Update(tuitest.Press(k))
			}
			v := p.View()
			if n := strings.Count(v, "\n") + 1; n != h {
				t.Fatalf("%d rows, want %d", n, h)
			}
			tuitest.CheckSize(t, v, w, h)
			if err := inert(v); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
