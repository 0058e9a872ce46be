package tui

import (
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
)

// OpenedMark marks, in lists, a trace already opened in this session.
const OpenedMark = "•"

// OpenedTraces are the traces opened in this program, so lists can mark
// them as a browser marks visited links. One per program: SSH sessions
// each have theirs.
type OpenedTraces struct {
	mu      sync.Mutex
	ids     map[string]bool
	version uint64
}

// Add records that a trace was opened.
func (o *OpenedTraces) Add(id string) {
	if o == nil {
		return
	}
	id = strings.ToLower(strings.TrimSpace(id))
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ids == nil {
		o.ids = map[string]bool{}
	}
	if !o.ids[id] {
		o.ids[id] = true
		o.version++
	}
}

// Has reports whether a trace was opened.
func (o *OpenedTraces) Has(id string) bool {
	if o == nil {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ids[strings.ToLower(strings.TrimSpace(id))]
}

// Version changes whenever a trace is added: a list redraws its marks
// when it differs from the one it drew them at.
func (o *OpenedTraces) Version() uint64 {
	if o == nil {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.version
}

// ParseTraceID reads a trace id as people paste it: 16 or 32 hex digits,
// any case, or a W3C traceparent header's (00-<trace id>-<span id>-01).
// loose also takes fewer digits (an id whose leading zeros a UI dropped),
// padded back to 16 or 32.
func ParseTraceID(s string, loose bool) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if parts := strings.Split(s, "-"); len(parts) == 4 && len(parts[0]) == 2 && len(parts[1]) == 32 && len(parts[2]) == 16 && len(parts[3]) == 2 {
		s = parts[1]
	}
	s = strings.TrimPrefix(s, "0x")
	if loose && s != "" && len(s) < 32 && isHex(s) {
		n := 16
		if len(s) > 16 {
			n = 32
		}
		s = strings.Repeat("0", n-len(s)) + s
	}
	if !triage.IsTraceID(s) || strings.Trim(s, "0") == "" {
		return "", false
	}
	return s, true
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// openTrace opens a trace's waterfall by its id, in the nearest
// incident's context when there is one.
func (a *App) openTrace(id string) tea.Cmd {
	if a.c.Nav.Trace == nil {
		return Status("the trace page is not available here", true)
	}
	var ref IncidentRef
	if inc, _ := a.nearestIncident(); inc != nil {
		ref = IncidentRef{Alert: inc.Alert(), Report: inc.Report()}
	}
	return a.push(a.c.Nav.Trace(ref, id))
}
