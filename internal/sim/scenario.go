// Package sim generates a realistic shop incident whose ground truth is known
// (traces, logs, Tempo-style metrics and alert rules) and sends it to real
// backends, so the triage engine can be tested end to end against the truth.
package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Scenario parameterises the incident. Zero numeric fields take their
// defaults; an empty fault service turns that fault off.
type Scenario struct {
	Name          string // the preset it started from, if any; informational only
	Seed          int64
	Users         int           // >= 200; ids "u-10001"...
	Window        time.Duration // traffic generated over [now-Window, now], default 15m
	IncidentAfter time.Duration // the fault starts this long after the window start, default 5m
	RPS           float64       // entry requests per second over the window (default 4)

	ErrorService string  // the dependency that fails, default "ledger-db"
	ErrorSegment string  // "key=value" on the user; only those requests fail; default "user.region=eu-west"
	ErrorRate    float64 // share of segment requests that fail, default 0.6

	// SlowService turns slow: in a slowed request every call to it takes
	// SlowBy longer. Requests are slowed during the incident, in SlowSegment
	// only, with probability SlowRate.
	SlowService string        // default "inventory"
	SlowSegment string        // "key=value" like ErrorSegment; empty for every request
	SlowBy      time.Duration // default 1500ms
	SlowRate    float64       // default 0.3

	NoiseService string  // an unrelated service with background errors, default "recommendations"
	NoiseRate    float64 // default 0.05

	// Planted is "key=value" set on one pod of the faulty service (of its
	// callers for an uninstrumented peer), which serves most affected
	// requests: those that fail, or that are slow when ErrorService is empty.
	Planted string // default "k8s.node.name=node-7"

	// FaultyPod confines ErrorService's fault to its planted pod, rolled
	// out when the incident starts (a canary, a partly bad deploy): the
	// requests that pod serves fail fast with ErrorRate, the other pods
	// stay healthy. Before the incident the pod takes no traffic. It needs
	// an instrumented ErrorService and Planted.
	FaultyPod bool
	// Retries is how many times a caller retries a failed call to
	// ErrorService, quickly and each time to a freshly picked pod: a
	// request fails only when every attempt did. At most 5.
	Retries int
	// BatchSize, when set, puts a batch consumer behind checkout's
	// order-events hop: the notifier takes up to BatchSize messages at a
	// time (or what arrived within 10s), in one trace per batch whose
	// CONSUMER span links to every message's PRODUCER span. It renders
	// each message in a span carrying its messaging.message.id and sends
	// it to the uninstrumented mail-relay in a CLIENT span carrying it
	// too. Only the producer's trace names the user. 0 keeps the
	// notifications consumer: one trace per message. At most 500.
	BatchSize int

	// BaselineLogs is how long before the window the services logged as
	// they did before the fault: the healthy period's error and warning
	// lines (and one info line in ten, so every service that logs has
	// lines), repeated without trace ids around the window an
	// investigation compares with, an hour before the incident's:
	// [start-1h-10m, end-1h+10m]. The noise service's errors are there too.
	// Default true (the zero value); NoBaselineLogs turns it off.
	NoBaselineLogs bool
	// LogsEndAfter, when set, stops every log line that long after the
	// window start: a log pipeline that stopped delivering, for the
	// freshness checks.
	LogsEndAfter time.Duration

	// Metrics is the shape of the metric series: MetricsTempo (the
	// default) or MetricsOTel.
	Metrics string
}

// Defaults of the numeric fields, also used when a field is zero.
const (
	defaultUsers         = 300
	defaultWindow        = 15 * time.Minute
	defaultIncidentAfter = 5 * time.Minute
	defaultRPS           = 4.0
	defaultErrorRate     = 0.6
	defaultSlowBy        = 1500 * time.Millisecond
	defaultSlowRate      = 0.3
	defaultNoiseRate     = 0.05
	// baselineOffset is how far before the window its baseline lies.
	baselineOffset = time.Hour

	// MinUsers is the smallest user population a scenario may ask for.
	MinUsers = 200
	maxUsers = 100_000
	// maxRequests bounds memory: every request is kept as spans and logs.
	maxRequests = 200_000
	maxBatch    = 500
	maxRetries  = 5
)

// DefaultScenario is the payments → ledger-db pool exhaustion for eu-west
// users, with a slow inventory and noisy recommendations as distractors.
func DefaultScenario() Scenario {
	return Scenario{
		Name:          "db-region",
		Seed:          42,
		Users:         defaultUsers,
		Window:        defaultWindow,
		IncidentAfter: defaultIncidentAfter,
		RPS:           defaultRPS,
		ErrorService:  "ledger-db",
		ErrorSegment:  "user.region=eu-west",
		ErrorRate:     defaultErrorRate,
		SlowService:   "inventory",
		SlowBy:        defaultSlowBy,
		SlowRate:      defaultSlowRate,
		NoiseService:  "recommendations",
		NoiseRate:     defaultNoiseRate,
		Planted:       "k8s.node.name=node-7",
	}
}

// segmentKeys are the request properties a segment may select on.
func segmentKeys() []string { return []string{"enduser.id", "user.tier", "user.region", "http.route"} }

// normalize fills defaults and rejects scenarios the generator cannot honour,
// naming the field, the value and what was expected.
func (sc Scenario) normalize() (Scenario, error) {
	if sc.Users == 0 {
		sc.Users = defaultUsers
	}
	if sc.Users < MinUsers {
		return sc, fmt.Errorf("scenario: Users=%d, want at least %d", sc.Users, MinUsers)
	}
	if sc.Users > maxUsers {
		return sc, fmt.Errorf("scenario: Users=%d, want at most %d", sc.Users, maxUsers)
	}
	if sc.Window <= 0 {
		sc.Window = defaultWindow
	}
	if sc.IncidentAfter <= 0 {
		sc.IncidentAfter = min(defaultIncidentAfter, sc.Window/3)
	}
	if sc.IncidentAfter >= sc.Window {
		return sc, fmt.Errorf("scenario: IncidentAfter=%s, want less than Window=%s", sc.IncidentAfter, sc.Window)
	}
	if sc.RPS <= 0 {
		sc.RPS = defaultRPS
	}
	if n := sc.RPS * sc.Window.Seconds(); n > maxRequests || math.IsNaN(n) {
		return sc, fmt.Errorf("scenario: RPS=%g over Window=%s is %.0f requests, want at most %d", sc.RPS, sc.Window, n, maxRequests)
	}
	if sc.ErrorRate == 0 {
		sc.ErrorRate = defaultErrorRate
	}
	if sc.SlowBy <= 0 {
		sc.SlowBy = defaultSlowBy
	}
	if sc.SlowBy > time.Minute {
		return sc, fmt.Errorf("scenario: SlowBy=%s, want at most 1m", sc.SlowBy)
	}
	if sc.SlowRate == 0 {
		sc.SlowRate = defaultSlowRate
	}
	if sc.NoiseRate == 0 {
		sc.NoiseRate = defaultNoiseRate
	}
	if sc.LogsEndAfter < 0 || sc.LogsEndAfter >= sc.Window {
		return sc, fmt.Errorf("scenario: LogsEndAfter=%s, want between 0 and Window=%s", sc.LogsEndAfter, sc.Window)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"ErrorRate", sc.ErrorRate}, {"SlowRate", sc.SlowRate}, {"NoiseRate", sc.NoiseRate}} {
		if !(r.v > 0 && r.v <= 1) {
			return sc, fmt.Errorf("scenario: %s=%g, want a share in (0, 1]", r.name, r.v)
		}
	}
	batch := sc.BatchSize > 0
	for _, s := range []struct{ field, v string }{
		{"ErrorService", sc.ErrorService}, {"SlowService", sc.SlowService}, {"NoiseService", sc.NoiseService},
	} {
		if s.v != "" && !knownNode(s.v, batch) {
			return sc, fmt.Errorf("scenario: %s=%q, want one of %s", s.field, s.v, strings.Join(nodeNames(batch), ", "))
		}
	}
	if sc.BatchSize < 0 || sc.BatchSize > maxBatch {
		return sc, fmt.Errorf("scenario: BatchSize=%d, want between 0 and %d", sc.BatchSize, maxBatch)
	}
	if sc.Retries < 0 || sc.Retries > maxRetries {
		return sc, fmt.Errorf("scenario: Retries=%d, want between 0 and %d", sc.Retries, maxRetries)
	}
	if sc.FaultyPod {
		switch {
		case sc.ErrorService == "" || newTopology(batch).isPeer(sc.ErrorService):
			return sc, fmt.Errorf("scenario: FaultyPod with ErrorService=%q, want an instrumented service", sc.ErrorService)
		case sc.Planted == "":
			return sc, fmt.Errorf("scenario: FaultyPod needs Planted to mark the faulty pod")
		}
	}
	for _, seg := range []struct{ field, v string }{{"ErrorSegment", sc.ErrorSegment}, {"SlowSegment", sc.SlowSegment}} {
		if seg.v == "" {
			continue
		}
		k, _, err := parseKV(seg.field, seg.v)
		if err != nil {
			return sc, err
		}
		if !slices.Contains(segmentKeys(), k) {
			return sc, fmt.Errorf("scenario: %s key %q, want one of %s", seg.field, k, strings.Join(segmentKeys(), ", "))
		}
	}
	switch sc.Metrics {
	case "":
		sc.Metrics = MetricsTempo
	case MetricsTempo, MetricsOTel:
	default:
		return sc, fmt.Errorf("scenario: Metrics=%q, want %s or %s", sc.Metrics, MetricsTempo, MetricsOTel)
	}
	if sc.Planted != "" {
		k, _, err := parseKV("Planted", sc.Planted)
		if err != nil {
			return sc, err
		}
		if k == "service.name" {
			return sc, fmt.Errorf("scenario: Planted key %q cannot be planted, want another resource attribute", k)
		}
	}
	return sc, nil
}

// parseKV splits "key=value", both sides non-empty.
func parseKV(field, s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" || v == "" {
		return "", "", fmt.Errorf("scenario: %s=%q, want key=value", field, s)
	}
	return k, v, nil
}
