package triage

import "testing"

// Users behind a message queue are named by the producers' entry through
// the hop, their sample counted in messages, and batch-level users are
// said to be an upper bound.
func TestImpactUsersThroughAQueue(t *testing.T) {
	n := func(v int) *int { return &v }
	hop := "storefront POST /checkout → order-events → notifier"
	est := &Estimate{Value: 121, Low: 110, High: 130, Basis: "…"}
	for _, tc := range []struct {
		name string
		imp  Impact
		want string
	}{
		{"plain", Impact{EntryPoints: []string{"storefront POST /checkout"}, UsersEstimate: est, UsersSeen: n(47), SampledTraces: n(200), UsersFailed: n(47)},
			"≈121 users failed (est. 110–130; 47 seen in 200 sampled traces)"},
		{"through the hop, matched per message", Impact{EntryPoints: []string{hop}, UsersEstimate: est, UsersSeen: n(121), SampledTraces: n(190),
			SampledMessages: n(640), UsersFailed: n(121)},
			"≈121 users failed via " + hop + " (est. 110–130; 121 seen in 640 sampled messages)"},
		{"batch-level", Impact{EntryPoints: []string{hop, "storefront POST /cart → cart-events → notifier"}, UsersEstimate: est, UsersSeen: n(121),
			SampledTraces: n(190), SampledMessages: n(640), UsersFailed: n(121), UsersBatchLevel: n(40), UsersSlow: n(3)},
			"≈121 users failed via " + hop + " and 1 more (est. 110–130; 121 seen in 640 sampled messages) · 40 batch-level, an upper bound · 3 more slow"},
		{"no estimate", Impact{EntryPoints: []string{hop}, UsersSeen: n(12), SampledTraces: n(9), SampledMessages: n(30), UsersFailed: n(12), UsersBatchLevel: n(12)},
			"12 users failed via " + hop + " in the sample (12 seen in 30 sampled messages; no estimate: why) · 12 batch-level, an upper bound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ImpactUsers(&tc.imp, func(string) string { return "why" }); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	u := UserImpact{Failed: 3, BatchLevel: true}
	if u.FailedText() != "≤3" || u.SlowText() != "0" {
		t.Errorf("batch-level counts %q %q, want ≤3 and 0", u.FailedText(), u.SlowText())
	}
	u.BatchLevel = false
	if u.FailedText() != "3" {
		t.Errorf("counts %q, want 3", u.FailedText())
	}
}
