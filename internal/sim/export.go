package sim

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// exportBatch is how many traces go into one OTLP request.
const exportBatch = 200

// SendTraces exports every span with the OTel Go SDK (otlptracehttp) to
// endpoint (e.g. "http://127.0.0.1:4318"), with the original timestamps and
// trace/span ids. Each pod is its own TracerProvider, as in a real fleet.
func (i *Incident) SendTraces(ctx context.Context, endpoint string) error {
	u, err := tracesURL(endpoint)
	if err != nil {
		return err
	}
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(u),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression),
		otlptracehttp.WithTimeout(30*time.Second),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: 200 * time.Millisecond, MaxInterval: 2 * time.Second, MaxElapsedTime: 15 * time.Second}),
	)
	if err != nil {
		return fmt.Errorf("sim: traces exporter for %s: %w", u, err)
	}
	defer func() { _ = exp.Shutdown(context.WithoutCancel(ctx)) }()

	rec := &recorder{}
	providers := make([]*sdktrace.TracerProvider, len(i.fleet.pods))
	defer func() {
		for _, p := range providers {
			if p != nil {
				_ = p.Shutdown(context.WithoutCancel(ctx))
			}
		}
	}()
	scs := scopes()
	tracers := map[[2]int]trace.Tracer{}
	tracerOf := func(pod, sc int) trace.Tracer {
		k := [2]int{pod, sc}
		if t, ok := tracers[k]; ok {
			return t
		}
		if providers[pod] == nil {
			providers[pod] = sdktrace.NewTracerProvider(
				sdktrace.WithResource(resource.NewWithAttributes(schemaURL, kvs(i.fleet.pods[pod].attrs)...)),
				sdktrace.WithIDGenerator(fixedIDs{}),
				sdktrace.WithSampler(sdktrace.AlwaysSample()),
				sdktrace.WithSpanProcessor(rec),
			)
		}
		t := providers[pod].Tracer(scs[sc].name, trace.WithInstrumentationVersion(scs[sc].version))
		tracers[k] = t
		return t
	}

	for from := 0; from < len(i.traces); from += exportBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		for ti := from; ti < min(from+exportBatch, len(i.traces)); ti++ {
			tr := &i.traces[ti]
			for k := range tr.spans {
				s := &tr.spans[k]
				record(ctx, tracerOf(s.pod, s.scope), tr.id, s)
			}
		}
		if err := exp.ExportSpans(ctx, rec.take()); err != nil {
			return fmt.Errorf("sim: export traces to %s: %w", u, err)
		}
	}
	return nil
}

// record replays one span through the SDK with its own ids and times.
func record(ctx context.Context, t trace.Tracer, tid traceID, s *span) {
	ctx = context.WithValue(ctx, idsKey{}, wantIDs{trace: trace.TraceID(tid), span: trace.SpanID(s.id)})
	opts := []trace.SpanStartOption{
		trace.WithTimestamp(time.Unix(0, s.start)),
		trace.WithSpanKind(otelKind(s.kind)),
		trace.WithAttributes(kvs(s.attrs)...),
	}
	if s.parent.isZero() {
		opts = append(opts, trace.WithNewRoot())
	} else {
		ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID(tid), SpanID: trace.SpanID(s.parent), TraceFlags: trace.FlagsSampled, Remote: s.parentRemote,
		}))
	}
	for _, l := range s.links {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID(l.trace), SpanID: trace.SpanID(l.span), TraceFlags: trace.FlagsSampled, Remote: true,
		})}))
	}
	_, sp := t.Start(ctx, s.name, opts...)
	for _, e := range s.events {
		sp.AddEvent(e.name, trace.WithTimestamp(time.Unix(0, e.at)), trace.WithAttributes(kvs(e.attrs)...))
	}
	if s.failed {
		sp.SetStatus(codes.Error, s.msg)
	}
	sp.End(trace.WithTimestamp(time.Unix(0, s.end)))
}

func tracesURL(endpoint string) (string, error) {
	u, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("sim: OTLP endpoint %q, want http(s)://host:port", endpoint)
	}
	if !strings.HasSuffix(u.Path, "/v1/traces") {
		u.Path += "/v1/traces"
	}
	return u.String(), nil
}

func kvs(attrs []attr) []attribute.KeyValue {
	out := make([]attribute.KeyValue, len(attrs))
	for k, a := range attrs {
		if a.isNum {
			out[k] = attribute.Int64(a.key, a.num)
		} else {
			out[k] = attribute.String(a.key, a.str)
		}
	}
	return out
}

func otelKind(k spanKind) trace.SpanKind {
	switch k {
	case kindServer:
		return trace.SpanKindServer
	case kindClient:
		return trace.SpanKindClient
	case kindProducer:
		return trace.SpanKindProducer
	case kindConsumer:
		return trace.SpanKindConsumer
	}
	return trace.SpanKindInternal
}

type idsKey struct{}

type wantIDs struct {
	trace trace.TraceID
	span  trace.SpanID
}

// fixedIDs hands the SDK the ids the generator already chose, carried in the
// context, so exported spans keep the ids the ground truth names.
type fixedIDs struct{}

func (fixedIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	w, _ := ctx.Value(idsKey{}).(wantIDs)
	return w.trace, w.span
}

func (fixedIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	w, _ := ctx.Value(idsKey{}).(wantIDs)
	return w.span
}

// recorder keeps ended spans until they are exported in one request.
type recorder struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (r *recorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (r *recorder) OnEnd(s sdktrace.ReadOnlySpan) {
	r.mu.Lock()
	r.spans = append(r.spans, s)
	r.mu.Unlock()
}
func (r *recorder) Shutdown(context.Context) error   { return nil }
func (r *recorder) ForceFlush(context.Context) error { return nil }

func (r *recorder) take() []sdktrace.ReadOnlySpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.spans
	r.spans = nil
	return out
}
