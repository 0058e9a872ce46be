package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

// Incident is one incident as the tools list and investigate it.
type Incident struct {
	// ID is what investigate takes: the daemon's incident id, or the
	// alert's fingerprint.
	ID     string
	Alert  triage.Alert
	Status string // firing, resolved
	Note   string // what else the catalog knows, e.g. "3 alerts · pre-warm ready"
	// Report is a stored report, nil without one; Fresh says it may be
	// served as it is rather than investigated again.
	Report   *triage.Report
	ReportAt time.Time
	Fresh    bool
	Origin   string // where Report comes from, e.g. "pre-warmed by triage serve"
	// Bundle is the stored incident bundle, nil without one.
	Bundle []byte
}

// Catalog is where list_incidents and investigate find incidents.
type Catalog interface {
	// Name says where the incidents come from, e.g. "Alertmanager".
	Name() string
	// List lists the incidents, firing first.
	List(ctx context.Context) ([]Incident, error)
	// Get finds one incident by its id or its alert's fingerprint, with its
	// stored report and bundle when it has them; errNotFound when none.
	Get(ctx context.Context, id string) (Incident, error)
}

var errNotFound = errors.New("no such incident")

// Store is the daemon's store as the catalog reads it; *serve.Service
// implements it.
type Store interface {
	Incidents(ctx context.Context) ([]serve.Incident, error)
	Incident(ctx context.Context, id string) (serve.Incident, error)
}

// StoreCatalog lists the daemon's incidents. A stored report is fresh while
// the incident is resolved or the report is younger than Fresh (the
// daemon's refresh interval, which re-investigates firing incidents).
type StoreCatalog struct {
	Store Store
	Fresh time.Duration
	Now   func() time.Time
}

// Name implements Catalog.
func (StoreCatalog) Name() string { return "the daemon's store (triage serve)" }

// List implements Catalog: the store lists firing incidents first.
func (c StoreCatalog) List(ctx context.Context) ([]Incident, error) {
	incs, err := c.Store.Incidents(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	out := make([]Incident, len(incs))
	for i, in := range incs {
		out[i] = c.incident(in)
	}
	return out, nil
}

// Get implements Catalog: by incident id, else the newest incident of the
// alert with that fingerprint.
func (c StoreCatalog) Get(ctx context.Context, id string) (Incident, error) {
	in, err := c.Store.Incident(ctx, id)
	if errors.Is(err, serve.ErrNotFound) {
		incs, lerr := c.Store.Incidents(ctx)
		if lerr != nil {
			return Incident{}, fmt.Errorf("store: %w", lerr)
		}
		err = errNotFound
		for _, x := range incs {
			if x.Alert.Fingerprint == id {
				in, err = c.Store.Incident(ctx, x.ID)
				break
			}
		}
	}
	if err != nil {
		return Incident{}, err
	}
	return c.incident(in), nil
}

func (c StoreCatalog) incident(in serve.Incident) Incident {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	note := fmt.Sprintf("%d alert(s) · pre-warm %s", in.AlertCount, in.PrewarmState)
	if in.PrewarmError != "" {
		note += " (" + clean(in.PrewarmError, 120) + ")"
	}
	out := Incident{ID: in.ID, Alert: in.Alert, Status: string(in.Status), Note: note, Report: in.Report,
		ReportAt: in.ReportAt, Bundle: in.Bundle, Origin: "pre-warmed by triage serve"}
	out.Fresh = in.Report != nil && (in.Status == serve.StatusResolved || now().Sub(in.ReportAt) <= c.Fresh)
	return out
}

// Alerts is Alertmanager as the tools use it: the firing alerts, and
// silences; adapter.Alerts implements it.
type Alerts interface {
	Firing(ctx context.Context) ([]triage.Alert, error)
	Silence(ctx context.Context, a triage.Alert, d time.Duration, comment string) (string, error)
}

// AlertmanagerCatalog lists Alertmanager's firing alerts, each an
// incident named by its fingerprint, with no stored report.
type AlertmanagerCatalog struct{ Alerts Alerts }

// Name implements Catalog.
func (AlertmanagerCatalog) Name() string { return "Alertmanager" }

// List implements Catalog: every alert Alertmanager lists fires.
func (c AlertmanagerCatalog) List(ctx context.Context) ([]Incident, error) {
	alerts, err := c.Alerts.Firing(ctx)
	if err != nil {
		return nil, fmt.Errorf("alertmanager: %s", reasonOf(err))
	}
	out := make([]Incident, len(alerts))
	for i, a := range alerts {
		out[i] = Incident{ID: a.Fingerprint, Alert: a, Status: "firing"}
	}
	return out, nil
}

// Get implements Catalog.
func (c AlertmanagerCatalog) Get(ctx context.Context, id string) (Incident, error) {
	list, err := c.List(ctx)
	if err != nil {
		return Incident{}, err
	}
	for _, in := range list {
		if in.ID == id {
			return in, nil
		}
	}
	return Incident{}, errNotFound
}

// BundleCatalog is one recorded incident: its report as recorded, and the
// bundle's own bytes.
type BundleCatalog struct {
	Bundle *bundle.Bundle
	Raw    []byte
	Label  string // e.g. "the demo bundle"
}

// Name implements Catalog.
func (c BundleCatalog) Name() string { return c.Label }

// ID is the recorded incident's id: its alert's fingerprint, else "bundle".
func (c BundleCatalog) ID() string {
	if fp := strings.TrimSpace(c.Bundle.Header.Alert.Fingerprint); fp != "" {
		return fp
	}
	return "bundle"
}

func (c BundleCatalog) incident() Incident {
	h := c.Bundle.Header
	return Incident{ID: c.ID(), Alert: h.Alert.Engine(), Status: "recorded",
		Note:   fmt.Sprintf("recorded %s by triage %s, %d exchanges", h.Created.UTC().Format(time.RFC3339), clean(h.TriageVersion, 40), c.Bundle.Len()),
		Report: c.Bundle.Report, ReportAt: h.Created, Fresh: c.Bundle.Report != nil, Origin: "recorded in " + c.Label, Bundle: c.Raw}
}

// List implements Catalog.
func (c BundleCatalog) List(context.Context) ([]Incident, error) {
	return []Incident{c.incident()}, nil
}

// Get implements Catalog: the recorded incident answers to its id and to
// an empty id.
func (c BundleCatalog) Get(_ context.Context, id string) (Incident, error) {
	if id != "" && id != c.ID() {
		return Incident{}, errNotFound
	}
	return c.incident(), nil
}

// reasonOf is an error in a source's own words when it gives them.
func reasonOf(err error) string {
	r, kind := triage.ErrorInfo(err)
	if kind != "" && !strings.HasPrefix(r, kind) {
		return kind + ": " + r
	}
	return r
}
