package drain

import (
	"fmt"
	"github.com/triagectl/triage/internal/sim"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

type minedWant struct {
	pattern string
	count   int
}

func TestMinerPatterns(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []minedWant // most lines first, then by pattern
	}{
		{
			name: "simulator pool exhaustion keeps its constants",
			lines: []string{
				`level=error msg="timeout acquiring connection from pool after 2000ms (pool=ledger active=50 idle=0 waiters=37)" db.system=postgresql server.address=ledger-db`,
				`level=error msg="timeout acquiring connection from pool after 2000ms (pool=ledger active=50 idle=0 waiters=52)" db.system=postgresql server.address=ledger-db`,
				`level=error msg="timeout acquiring connection from pool after 2000ms (pool=ledger active=50 idle=0 waiters=18)" db.system=postgresql server.address=ledger-db`,
			},
			want: []minedWant{{`level=error msg="timeout acquiring connection from pool after 2000ms (pool=ledger active=50 idle=0 waiters=<_>)" db.system=postgresql server.address=ledger-db`, 3}},
		},
		{
			name: "simulator request failures split by cause",
			lines: []string{
				`level=error msg="request failed" method=POST route=/api/v1/checkout status=503 duration_ms=2011 err="place order: rpc error: code = DeadlineExceeded desc = charge card: timeout acquiring connection from pool after 2000ms"`,
				`level=error msg="request failed" method=POST route=/api/v1/checkout status=503 duration_ms=2040 err="place order: rpc error: code = DeadlineExceeded desc = charge card: timeout acquiring connection from pool after 2000ms"`,
				`level=error msg="request failed" method=POST route=/api/v1/checkout status=503 duration_ms=61 err="place order: rpc error: code = DeadlineExceeded desc = lock wait timeout exceeded; try restarting transaction on stock row"`,
				`level=error msg="request failed" method=POST route=/api/v1/checkout status=503 duration_ms=75 err="place order: rpc error: code = DeadlineExceeded desc = lock wait timeout exceeded; try restarting transaction on stock row"`,
			},
			want: []minedWant{
				{`level=error msg="request failed" method=POST route=/api/v1/checkout status=503 duration_ms=<_> err="place order: rpc error: code = DeadlineExceeded desc = charge card: timeout acquiring connection from pool after 2000ms"`, 2},
				{`level=error msg="request failed" method=POST route=/api/v1/checkout status=503 duration_ms=<_> err="place order: rpc error: code = DeadlineExceeded desc = lock wait timeout exceeded; try restarting transaction on stock row"`, 2},
			},
		},
		{
			name: "differing values keep their keys",
			lines: []string{
				`level=warn msg="slow redis command" cmd=GET addr=session-cache:6379 duration_ms=1612 threshold_ms=500`,
				`level=warn msg="slow redis command" cmd=SET addr=session-cache:6379 duration_ms=1540 threshold_ms=500`,
			},
			want: []minedWant{{`level=warn msg="slow redis command" cmd=<_> addr=session-cache:6379 duration_ms=<_> threshold_ms=500`, 2}},
		},
		{
			name: "a constant number stays until it varies",
			lines: []string{
				`level=error msg="card processor error" processor=adyen status=502 latency_ms=131`,
				`level=error msg="card processor error" processor=adyen status=502 latency_ms=140`,
				`level=error msg="card processor error" processor=adyen status=504 latency_ms=152`,
			},
			want: []minedWant{{`level=error msg="card processor error" processor=adyen status=<_> latency_ms=<_>`, 3}},
		},
		{
			name: "ids never show, even in a single line",
			lines: []string{
				`level=error msg="span export failed" trace_id=4bf92f3577b34da6a3ce929d0e0e4736 request_id=f47ac10b-58cc-4372-a567-0e02b2c3d479 peer=10.0.4.7:4317`,
			},
			want: []minedWant{{`level=error msg="span export failed" trace_id=<_> request_id=<_> peer=<_>`, 1}},
		},
		{
			name: "nginx error log",
			lines: []string{
				`2024/05/01 03:10:05 [error] 3124#3124: *88121 connect() failed (111: Connection refused) while connecting to upstream, client: 10.2.3.4, server: shop.example, request: "GET /api/cart/123 HTTP/1.1", upstream: "http://10.0.4.7:8080/api/cart/123", host: "shop.example"`,
				`2024/05/01 03:10:06 [error] 3124#3124: *88125 connect() failed (111: Connection refused) while connecting to upstream, client: 10.2.3.9, server: shop.example, request: "GET /api/cart/456 HTTP/1.1", upstream: "http://10.0.4.7:8080/api/cart/456", host: "shop.example"`,
			},
			want: []minedWant{{`<_> <_> [error] 3124#3124: *<_> connect() failed (111: Connection refused) while connecting to upstream, client: <_>, server: shop.example, request: "GET /api/cart/<_> HTTP/1.1", upstream: "http://<_>/api/cart/<_>", host: "shop.example"`, 2}},
		},
		{
			name: "spring boot",
			lines: []string{
				`2024-05-01 03:10:05.123 ERROR 1 --- [nio-8080-exec-7] c.e.shop.OrderController : Failed to place order 7731 for user 4412`,
				`2024-05-01 03:10:05.987 ERROR 1 --- [nio-8080-exec-2] c.e.shop.OrderController : Failed to place order 7735 for user 118`,
				`2024-05-01 03:10:06.002 WARN 1 --- [nio-8080-exec-2] c.e.shop.OrderController : Retrying order 7735`,
			},
			want: []minedWant{
				{`<_> <_> ERROR 1 --- <_> c.e.shop.OrderController : Failed to place order <_> for user <_>`, 2},
				{`<_> <_> WARN 1 --- [nio-8080-exec-2] c.e.shop.OrderController : Retrying order 7735`, 1},
			},
		},
		{
			name: "zap json",
			lines: []string{
				`{"level":"error","ts":1714532405.123,"caller":"payments/charge.go:88","msg":"charge failed","order_id":"o-48213","error":"card declined","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}`,
				`{"level":"error","ts":1714532406.456,"caller":"payments/charge.go:88","msg":"charge failed","order_id":"o-48214","error":"card declined","trace_id":"5bf92f3577b34da6a3ce929d0e0e4737"}`,
			},
			want: []minedWant{{`{"level":"error","ts":<_>,"caller":"payments/charge.go:88","msg":"charge failed","order_id":"<_>","error":"card declined","trace_id":"<_>"}`, 2}},
		},
		{
			name: "logrus",
			lines: []string{
				`time="2024-05-01T03:10:05Z" level=warning msg="retrying request" attempt=2 backoff=1.5s url="http://ledger:8080/v1/entries"`,
				`time="2024-05-01T03:10:07Z" level=warning msg="retrying request" attempt=3 backoff=3s url="http://ledger:8080/v1/entries"`,
			},
			want: []minedWant{{`time="<_>" level=warning msg="retrying request" attempt=<_> backoff=<_> url="http://ledger:8080/v1/entries"`, 2}},
		},
		{
			name: "quoted names",
			lines: []string{
				`ERROR: user 'alice' not found (id=f47ac10b-58cc-4372-a567-0e02b2c3d479)`,
				`ERROR: user 'bob' not found (id=9c5b94b1-35ad-49bb-b118-8e8fc24abf80)`,
			},
			want: []minedWant{{`ERROR: user '<_>' not found (id=<_>)`, 2}},
		},
		{
			name: "escape sequences and invalid utf-8 are data",
			lines: []string{
				"level=error msg=\"bad \x1b[31mred\x1b[0m input\" n=1",
				"level=error msg=\"bad \x1b[31mred\x1b[0m input\" n=2",
				"level=error msg=\"invalid \xff\xfe bytes in the request body\" n=3",
				"level=error msg=\"invalid \xff\xfe bytes in the request body\" n=4",
				"level=error msg=\"tab\there\x00nul\"",
			},
			want: []minedWant{
				{"level=error msg=\"bad \x1b[31mred\x1b[0m input\" n=<_>", 2},
				{"level=error msg=\"invalid \xff\xfe bytes in the request body\" n=<_>", 2},
				{"level=error msg=\"tab here\x00nul\"", 1},
			},
		},
		{
			name:  "empty lines of a known level",
			lines: []string{"", "  "},
			want:  []minedWant{{"", 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []Line
			for _, l := range tt.lines {
				lines = append(lines, Line{Service: "svc", Level: levelUnlessNamed(l), Text: l})
			}
			got := Mine(lines, MinerOptions{})
			var gotW []minedWant
			for _, c := range got {
				gotW = append(gotW, minedWant{c.Pattern, c.Count})
			}
			if !reflect.DeepEqual(gotW, tt.want) {
				t.Errorf("patterns:\n%s\nwant:\n%s", formatMined(gotW), formatMined(tt.want))
			}
		})
	}
}

// levelUnlessNamed reads a warning from the text, else calls it an error,
// as the engine's level reader would for these lines.
func levelUnlessNamed(line string) string {
	if strings.Contains(strings.ToLower(line), "warn") {
		return LevelWarn
	}
	return LevelError
}

func formatMined(ws []minedWant) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "  %d %q\n", w.count, w.pattern)
	}
	return b.String()
}

func TestMinerSkipsOtherLevels(t *testing.T) {
	m := NewMiner(MinerOptions{})
	for _, l := range []Line{
		{Level: "info", Text: `level=info msg="request completed"`},
		{Level: "debug", Text: `level=debug msg="cache hit"`},
		{Text: `GET /healthz 200`},
		{Level: "ERROR", Text: `level=error msg="not normalised"`},
	} {
		if m.Add(l) {
			t.Errorf("Add(%q) took a line that is not an error or a warning", l.Text)
		}
	}
	if !m.Add(Line{Level: LevelWarn, Text: `level=warn msg="slow"`}) || !m.Add(Line{Level: LevelError, Text: `boom`}) {
		t.Error("Add refused an error or a warning")
	}
	if got := len(m.Clusters()); got != 2 {
		t.Errorf("%d patterns, want 2", got)
	}
}

func TestMinerKeepsLevelsAndServicesApart(t *testing.T) {
	at := time.Date(2026, 3, 14, 3, 10, 0, 0, time.UTC)
	lines := []Line{
		{Time: at.Add(3 * time.Second), Service: "payments", Level: "warn", Text: "pool saturated waiters=3", TraceID: "t3"},
		{Time: at.Add(1 * time.Second), Service: "payments", Level: "warn", Text: "pool saturated waiters=1", TraceID: "t1"},
		{Time: at.Add(2 * time.Second), Service: "orders", Level: "warn", Text: "pool saturated waiters=2", TraceID: "t2"},
		{Time: at.Add(4 * time.Second), Service: "orders", Level: "error", Text: "pool saturated waiters=9", TraceID: "t4"},
		{Time: at.Add(5 * time.Second), Service: "orders", Level: "warn", Text: "pool saturated waiters=2", TraceID: "t2"},
	}
	got := Mine(lines, MinerOptions{})
	want := []Cluster{
		{
			Pattern: "pool saturated waiters=<_>", Level: "warn", Count: 4, Services: []string{"orders", "payments"},
			FirstSeen: at.Add(time.Second), LastSeen: at.Add(5 * time.Second), SampleTraceIDs: []string{"t1", "t2", "t3"},
		},
		{
			Pattern: "pool saturated waiters=9", Level: "error", Count: 1, Services: []string{"orders"},
			FirstSeen: at.Add(4 * time.Second), LastSeen: at.Add(4 * time.Second), SampleTraceIDs: []string{"t4"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestMinerSamplesAreDistinctAndCapped(t *testing.T) {
	m := NewMiner(MinerOptions{MaxSamples: 3})
	for i := range 20 {
		m.Add(Line{Level: "error", Text: fmt.Sprintf("boom n=%d", i), TraceID: fmt.Sprintf("t%d", i%4/2)})
		m.Add(Line{Level: "error", Text: fmt.Sprintf("boom n=%d", i), TraceID: fmt.Sprintf("u%d", i)})
	}
	cs := m.Clusters()
	if len(cs) != 1 || cs[0].Count != 40 {
		t.Fatalf("clusters %+v", cs)
	}
	if want := []string{"t0", "u0", "u1"}; !reflect.DeepEqual(cs[0].SampleTraceIDs, want) {
		t.Errorf("samples %q, want %q", cs[0].SampleTraceIDs, want)
	}
}

func TestMinerIsBounded(t *testing.T) {
	m := NewMiner(MinerOptions{MaxClusters: 3})
	lines := 0
	for i := range 10 {
		for j := range 5 {
			// Ten templates that share no word, five lines each.
			words := make([]string, 0, i+1)
			for k := 0; k <= i; k++ {
				words = append(words, fmt.Sprintf("w%c%c", 'a'+i, 'a'+k))
			}
			m.Add(Line{Service: fmt.Sprintf("s%d", i%2), Level: "warn", Text: strings.Join(words, " ") + fmt.Sprintf(" n=%d", j), TraceID: fmt.Sprint(j)})
			lines++
		}
	}
	if m.Len() != 3 {
		t.Errorf("Len() = %d, want 3", m.Len())
	}
	cs := m.Clusters()
	if len(cs) != 4 {
		t.Fatalf("%d clusters, want 3 and the other bucket", len(cs))
	}
	sum := 0
	for _, c := range cs {
		sum += c.Count
	}
	if sum != lines {
		t.Errorf("counted %d lines, want %d", sum, lines)
	}
	other := cs[len(cs)-1]
	want := Cluster{Pattern: OtherPattern, Level: "warn", Count: 35, Services: []string{"s0", "s1"}, SampleTraceIDs: []string{"0", "1", "2", "3", "4"}, Other: true}
	if !reflect.DeepEqual(other, want) {
		t.Errorf("other bucket %+v, want %+v", other, want)
	}
	// A line of a known pattern still joins it once the cap is reached.
	before := cs[0].Count
	m.Add(Line{Service: "s0", Level: "warn", Text: "waa n=9"})
	if got := m.Clusters()[0].Count; got != before+1 {
		t.Errorf("known pattern count %d, want %d", got, before+1)
	}
}

func TestMinerBaselineNeverStartsAPattern(t *testing.T) {
	m := NewMiner(MinerOptions{})
	m.Add(Line{Level: "error", Text: "db down host=a"})
	if m.AddBaseline(Line{Level: "error", Text: "something else entirely"}) {
		t.Error("AddBaseline took a line no pattern fits")
	}
	if !m.AddBaseline(Line{Level: "error", Text: "db down host=b"}) {
		t.Error("AddBaseline refused a line of a known pattern")
	}
	cs := m.Clusters()
	want := []Cluster{{Pattern: "db down host=<_>", Level: "error", Count: 1, BaselineCount: 1, Services: []string{""}, SampleTraceIDs: []string{}}}
	if !reflect.DeepEqual(cs, want) {
		t.Errorf("got %+v, want %+v", cs, want)
	}
}

// mixedLines are the simulator's incident lines and the benchmark's formats.
func minerTestLines(t testing.TB) []Line {
	var out []Line
	now := time.Date(2026, 3, 14, 3, 20, 0, 0, time.UTC)
	for _, p := range sim.Presets() {
		inc, err := sim.Generate(p.Scenario, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range inc.Logs() {
			if l.Level == LevelError || l.Level == LevelWarn {
				out = append(out, Line{Time: l.Time, Service: l.Service, Level: l.Level, Text: l.Line, TraceID: l.TraceID})
			}
		}
	}
	return append(out, benchLines(2000)...)
}

func TestMinePatternsIsDeterministic(t *testing.T) {
	lines := minerTestLines(t)
	want := Mine(lines, MinerOptions{})
	r := rand.New(rand.NewPCG(7, 7))
	for range 3 {
		shuffled := slices.Clone(lines)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := Mine(shuffled, MinerOptions{}); !reflect.DeepEqual(got, want) {
			t.Fatal("mining the same lines in another order gave other patterns")
		}
	}
}

// Every line fits the final pattern of the cluster it joined: patterns
// only ever widen.
func TestMinedLinesFitTheirPattern(t *testing.T) {
	m := NewMiner(MinerOptions{MaxClusters: 40})
	lines := minerTestLines(t)
	joined := make([]*drainCluster, len(lines))
	for i, l := range lines {
		joined[i] = m.add(l, false)
	}
	for i, c := range joined {
		if c == nil || c == m.other {
			continue
		}
		if p := c.pattern(); !NewMatcher(p).Match(lines[i].Text) {
			t.Fatalf("line %q does not fit its pattern %q", lines[i].Text, p)
		}
	}
}

func TestMinerCutsLongLines(t *testing.T) {
	line := "level=error msg=huge body=" + strings.Repeat("x", 1<<20)
	cs := Mine([]Line{{Level: LevelError, Text: line}, {Level: LevelError, Text: line + "y"}}, MinerOptions{})
	if len(cs) != 1 || cs[0].Count != 2 {
		t.Fatalf("clusters %+v", cs)
	}
	if p := cs[0].Pattern; len(p) > maxLineBytes+len(Placeholder) || !strings.HasSuffix(p, Placeholder) || !NewMatcher(p).Match(line) {
		t.Errorf("pattern of %d bytes ends %q", len(p), p[max(0, len(p)-20):])
	}
}

func TestMinerBoundsALeaf(t *testing.T) {
	m := NewMiner(MinerOptions{MaxLeafClusters: 2})
	for i := range 5 {
		// Same service, level, length and leading words: one leaf.
		m.Add(Line{Level: "error", Text: fmt.Sprintf("request failed alpha%c beta%c gamma%c", 'a'+i, 'a'+i, 'a'+i)})
	}
	m.Add(Line{Level: "error", Text: "something else"})
	cs := m.Clusters()
	var got []minedWant
	for _, c := range cs {
		got = append(got, minedWant{c.Pattern, c.Count})
	}
	want := []minedWant{
		{"request failed alphaa betaa gammaa", 1}, {"request failed alphab betab gammab", 1},
		{"something else", 1}, {OtherPattern, 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("patterns:\n%s\nwant:\n%s", formatMined(got), formatMined(want))
	}
}
