package sim

import (
	"encoding/hex"
	"strings"
)

// The generated data is kept in compact structs and only turned into pdata or
// SDK spans on demand, so an incident of tens of thousands of spans stays small.

type spanKind uint8

const (
	kindInternal spanKind = iota
	kindServer
	kindClient
	kindProducer
	kindConsumer
)

func (k spanKind) metricLabel() string {
	return [...]string{"SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"}[k]
}

type attr struct {
	key   string
	str   string
	num   int64
	isNum bool
}

func str(k, v string) attr { return attr{key: k, str: v} }
func num(k string, v int64) attr {
	return attr{key: k, num: v, isNum: true}
}

type traceID [16]byte
type spanID [8]byte

func (t traceID) String() string { return hex.EncodeToString(t[:]) }
func (s spanID) String() string  { return hex.EncodeToString(s[:]) }
func (s spanID) isZero() bool    { return s == spanID{} }

type event struct {
	name  string
	at    int64
	attrs []attr
}

type link struct {
	trace traceID
	span  spanID
}

type span struct {
	id           spanID
	parent       spanID // zero for a root
	parentRemote bool   // the parent lives in another process
	name         string
	kind         spanKind
	start, end   int64 // unix ns
	pod          int   // index into fleet.pods: the resource
	scope        int   // index into scopes()
	attrs        []attr
	events       []event
	links        []link
	failed       bool
	msg          string // status message when failed
}

func (s *span) attr(key string) (attr, bool) {
	for _, a := range s.attrs {
		if a.key == key {
			return a, true
		}
	}
	return attr{}, false
}

func (s *span) strAttr(key string) string {
	a, _ := s.attr(key)
	return a.str
}

type traceRec struct {
	id    traceID
	spans []span // spans[0] is the root
	user  int    // index into users, -1 for none
}

func (t *traceRec) root() *span { return &t.spans[0] }

type level uint8

const (
	levelInfo level = iota
	levelWarn
	levelError
)

func (l level) String() string { return [...]string{"info", "warn", "error"}[l] }

type logRec struct {
	at       int64
	svc      string
	level    level
	line     string
	tmpl     int // index into Incident.templates
	trace    traceID
	span     spanID
	hasTrace bool
}

// template is one log format; its pattern replaces the variable parts with
// <_>, the placeholder Loki's pattern detection also uses.
type template struct {
	format  string
	pattern string
	level   level
}

func patternOf(format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 >= len(format) {
			b.WriteByte(format[i])
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("0123456789.+-# *[]", format[j]) >= 0 {
			j++
		}
		if j == i+1 && j < len(format) && format[j] == '%' {
			b.WriteByte('%')
		} else {
			b.WriteString("<_>")
			// The verb may be a multi-byte rune; skip all of it.
			for j+1 < len(format) && format[j+1]&0xC0 == 0x80 {
				j++
			}
		}
		i = j
	}
	return b.String()
}

// scope is an instrumentation library, as the real services would report it.
type scope struct{ name, version string }

const (
	scopeHTTP = iota
	scopeGRPC
	scopePG
	scopeRedis
	scopeKafka
	scopeApp
)

func scopes() []scope {
	return []scope{
		scopeHTTP:  {"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "0.62.0"},
		scopeGRPC:  {"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc", "0.62.0"},
		scopePG:    {"github.com/exaring/otelpgx", "0.9.3"},
		scopeRedis: {"github.com/redis/go-redis/extra/redisotel/v9", "9.12.1"},
		scopeKafka: {"github.com/twmb/franz-go/plugin/kotel", "1.6.0"},
		scopeApp:   {"shop/app", "1.0.0"},
	}
}
