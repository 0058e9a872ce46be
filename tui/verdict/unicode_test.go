package verdict

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/internal/safe"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// unicodeCases are external strings with invisible characters, which must
// show, and emoji sequences that terminals draw at different widths,
// which must stay whole without pushing a row past the edge.
var unicodeCases = []struct {
	in, shown string
}{
	{"check\u200bout", `check\u200bout`},
	{"check\u200dout", `check\u200dout`},
	{"pay\u00adments", `pay\u00adments`},
	{"ledger\u2028db", `ledger\u2028db`},
	{"on-call 👩\u200d💻👩\u200d💻👩\u200d💻👩\u200d💻👩\u200d💻👩\u200d💻👩\u200d💻👩\u200d💻👩\u200d💻👩\u200d💻👩\u200d💻👩\u200d💻", "👩\u200d💻"},
	{"team 👨\u200d👩\u200d👧\u200d👦👍🏽🇫🇷1\ufe0f\u20e3❤\ufe0f🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "👨\u200d👩\u200d👧\u200d👦"},
}

// The incident list and the verdict at 80×24 and 120×40 with those
// strings in every external field: each row fits on a clustering terminal
// and on a code-point one, invisible characters are shown, and emoji are
// drawn whole.
func TestPagesWithTrickyUnicode(t *testing.T) {
	f := tuitest.Fixture(t)
	var alerts []triage.Alert
	for i, c := range unicodeCases {
		a := f.Alert
		a.Fingerprint = fmt.Sprint("fp-", i)
		a.Name = c.in
		a.Labels = map[string]string{"alertname": c.in, "service": c.in, "severity": "critical"}
		a.Annotations = map[string]string{"summary": c.in + " " + c.in}
		alerts = append(alerts, a)
	}
	r := f.Report.Clone()
	r.Services = append([]triage.ServiceRank(nil), r.Services...)
	for i := range r.Services {
		r.Services[i].Name = unicodeCases[i%len(unicodeCases)].in
	}
	r.Impact.Culprit = r.Services[0].Name
	r.LogPatterns = append([]triage.LogPattern(nil), r.LogPatterns...)
	for i := range r.LogPatterns {
		r.LogPatterns[i].Pattern = unicodeCases[i%len(unicodeCases)].in + " level=error"
	}
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		c := tuitest.Common(t, sz[0], sz[1])
		list := tui.NewApp(c, NewListOf(c, alerts, ListOptions{}))
		checkUnicodeView(t, fmt.Sprintf("list %dx%d", sz[0], sz[1]), view(list), sz[0], sz[1])

		c = tuitest.Common(t, sz[0], sz[1])
		record(c)
		verdict := tui.NewApp(c, New(c, alerts[0], r))
		checkUnicodeView(t, fmt.Sprintf("verdict %dx%d", sz[0], sz[1]), view(verdict), sz[0], sz[1])
	}
}

func checkUnicodeView(t *testing.T, where, v string, w, h int) {
	t.Helper()
	tuitest.CheckSize(t, v, w, h)
	plain := ansi.Strip(v)
	for i, l := range strings.Split(plain, "\n") {
		if safe.Needs(l) {
			t.Errorf("%s: row %d shows a character raw: %q", where, i, l)
		}
	}
	for _, c := range unicodeCases {
		if !strings.Contains(plain, c.shown) {
			t.Errorf("%s: %q is not shown as %q:\n%s", where, c.in, c.shown, plain)
		}
	}
}
