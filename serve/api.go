package serve

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/triagectl/triage/triage"
)

// This file is the read API the SSH console codes against. It only grows:
// fields and methods are added, never renamed or removed.

// Status is whether an incident still fires.
type Status string

// Incident statuses.
const (
	StatusFiring   Status = "firing"
	StatusResolved Status = "resolved"
)

// PrewarmState is how far the incident's background investigation got.
type PrewarmState string

// Pre-warm states. A refresh of a ready incident goes back to running but
// keeps the previous report until the new one is stored.
const (
	PrewarmQueued  PrewarmState = "queued"
	PrewarmRunning PrewarmState = "running"
	PrewarmReady   PrewarmState = "ready"
	PrewarmFailed  PrewarmState = "failed"
)

// Incident is one group of alerts (Alertmanager group key plus scope) as
// the daemon stores it.
type Incident struct {
	ID string
	// Alert is the first alert of the incident, the one investigations
	// start from.
	Alert  triage.Alert
	Status Status
	// Scope is the service the alert is about ("" when no service label
	// matched); alerts of one group with different scopes are different
	// incidents.
	Scope    string
	GroupKey string
	// Receiver is the Alertmanager receiver (or Grafana rule) that sent it.
	Receiver   string
	StartedAt  time.Time
	UpdatedAt  time.Time
	ResolvedAt time.Time // zero while firing
	// Expired is set when the incident resolved because its alerts were
	// not sent again within serve.alert_expiry, not by a resolve
	// notification: presumed resolved.
	Expired bool
	// SeenAt is when one of its alerts last arrived firing.
	SeenAt time.Time
	// AlertCount is the number of distinct alerts (fingerprint plus
	// startsAt) received for the incident.
	AlertCount   int
	PrewarmState PrewarmState
	PrewarmError string    // why the last investigation failed
	ReportAt     time.Time // when Report was stored; zero without one
	// Report is the latest pre-warmed report; nil until the first is ready.
	Report *triage.Report
	// Bundle is the latest recorded bundle (opaque bytes); nil without a
	// recorder or before the first investigation.
	Bundle []byte
}

// ErrNotFound is returned by Incident for an unknown id.
var ErrNotFound = errors.New("incident not found")

// EventKind says what changed.
type EventKind string

// Event kinds.
const (
	EventIncidentNew      EventKind = "incident_new"
	EventIncidentUpdated  EventKind = "incident_updated" // more alerts arrived
	EventIncidentResolved EventKind = "incident_resolved"
	EventPrewarmStarted   EventKind = "prewarm_started"
	EventPrewarmReady     EventKind = "prewarm_ready"
	EventPrewarmFailed    EventKind = "prewarm_failed"
	EventHeartbeat        EventKind = "heartbeat" // the Watchdog arrived or went silent
)

// Event tells a subscriber that an incident changed; it carries no data so
// a slow subscriber that misses some still converges by re-reading.
type Event struct {
	Kind       EventKind
	IncidentID string // "" for EventHeartbeat
	At         time.Time
}

// Incidents is the read side of the daemon, what open SSH sessions use.
// *Service implements it.
type Incidents interface {
	// Incidents lists every stored incident, firing first, newest first
	// within each status. Reports and bundles are not loaded (Report and
	// Bundle are nil); read one incident for them.
	Incidents(ctx context.Context) ([]Incident, error)
	// Incident returns one incident with its latest report and bundle, or
	// ErrNotFound.
	Incident(ctx context.Context, id string) (Incident, error)
	// Subscribe returns events until ctx ends, then closes the channel.
	// Events are dropped for a subscriber that does not keep up.
	Subscribe(ctx context.Context) <-chan Event
	// Pipeline is the dead man's switch for the console header.
	Pipeline() Heartbeat
}

// SSHMetrics are the SSH listener's metrics, registered on the daemon's
// registry; the SSH server updates them.
type SSHMetrics struct {
	// Sessions is the number of open sessions.
	Sessions prometheus.Gauge
	// SessionsTotal counts sessions opened, by result ("ok", "auth_failed",
	// "error").
	SessionsTotal *prometheus.CounterVec
}

var _ Incidents = (*Service)(nil)
