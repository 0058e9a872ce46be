package triage

import "time"

// SpanKind follows OTLP's span kinds.
type SpanKind uint8

// Span kinds.
const (
	KindUnspecified SpanKind = iota
	KindInternal
	KindServer
	KindClient
	KindProducer
	KindConsumer
)

func (k SpanKind) String() string {
	return [...]string{"unspecified", "internal", "server", "client", "producer", "consumer"}[min(int(k), 5)]
}

// Attr is one attribute, its value already rendered as a string.
type Attr struct {
	Key   string
	Value string
}

// Attrs is a small attribute list; lookups are linear, which beats a map
// at the sizes spans carry.
type Attrs []Attr

// Get returns the value of key.
func (a Attrs) Get(key string) (string, bool) {
	for _, kv := range a {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Resource is what a span's process says about itself. Spans of one process
// share one *Resource.
type Resource struct {
	Service string
	Attrs   Attrs
}

// Event is a span event such as an exception.
type Event struct {
	Time  time.Time
	Name  string
	Attrs Attrs
}

// Link points at a span in another (or the same) trace.
type Link struct {
	TraceID string
	SpanID  string
	Attrs   Attrs
}

// Span is the engine's view of a span, converted from the source's format.
type Span struct {
	TraceID       string
	SpanID        string
	ParentID      string // "" for a root
	Name          string
	Kind          SpanKind
	Start         time.Time
	End           time.Time
	Error         bool   // status code ERROR
	StatusMessage string // the status message, when any
	Resource      *Resource
	Attrs         Attrs
	Events        []Event
	Links         []Link
}

// Service is the span's service name, "" when unknown.
func (s *Span) Service() string {
	if s.Resource == nil {
		return ""
	}
	return s.Resource.Service
}

// Duration is End-Start, never negative.
func (s *Span) Duration() time.Duration {
	if d := s.End.Sub(s.Start); d > 0 {
		return d
	}
	return 0
}

// Attr looks a key up in the span's attributes, then its resource's.
func (s *Span) Attr(key string) (string, bool) {
	if v, ok := s.Attrs.Get(key); ok {
		return v, true
	}
	if s.Resource != nil {
		return s.Resource.Attrs.Get(key)
	}
	return "", false
}

// Trace is every span of one trace id, as fetched.
type Trace struct {
	ID      string // 32 lower-case hex digits
	Spans   []Span
	Partial bool   // the source said some spans may be missing
	Message string // the source's note on a partial trace
	// Skeleton: every span's structure (parent, kind, status, name,
	// timing, service) with only the attributes a search was asked for,
	// from a SkeletonSearcher's answer; not the whole trace.
	Skeleton bool
	// Compared: a skeleton that also carries every attribute what's
	// different compares (a TraceSelector's answer, asked for those keys),
	// so it counts on the incident side as the whole trace would.
	Compared bool
}
