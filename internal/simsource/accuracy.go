package simsource

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/triagectl/triage/internal/sim"
	"github.com/triagectl/triage/triage"
)

// Accuracy scores one report against the simulator's ground truth, by the
// engine's acceptance bar.
type Accuracy struct {
	Scenario      string
	Culprit       string // the top-ranked service, with its role when not culprit
	Want          string
	NoiseCulprit  bool // the noise service was ranked culprit
	Seen          int  // affected users the report names
	NotInTruth    []string
	TruthInSample int     // truth users with a trace in the report's sample
	Coverage      float64 // share of those the report names
	DiffRank      int     // rank of the planted difference, 0 when absent
	Estimate      float64 // NaN when the report has none
	Truth         int
	EstimateErr   float64
	Tolerance     float64 // allowed relative error of the estimate
	// MinCoverage is the share of the truth users in the sample the report
	// must name: 99%, or 95% behind a batch consumer, whose users are
	// reached through one more fetch per message.
	MinCoverage float64
	// Entry is the entry point the report's IMPACT names the affected
	// users by when WantEntry, the producers' entry through the hop, is
	// set: the culprit consumes messages, so the users are the producers'.
	// "listed" when the entry points list it but IMPACT does not name it.
	Entry, WantEntry string
	// Recovered lists users the report names whose failed request
	// recovered on a retry and who were not affected otherwise.
	Recovered      []string
	RecoveredTruth int // users whose failed request recovered on a retry, in the truth
	// RootOKSampled counts the sampled traces whose root succeeded though
	// a span below failed (retried away, or tolerated): the users of those
	// must not be named.
	RootOKSampled int
}

// Score compares r with the truth. In an error incident the affected users
// are those who failed; in a latency incident those who were slow.
func Score(r *triage.Report, tr sim.GroundTruth) Accuracy {
	a := Accuracy{Scenario: tr.Scenario.Name, Want: tr.Culprit, Truth: tr.AffectedUsers, Estimate: math.NaN(), EstimateErr: math.NaN(),
		Tolerance: EstimateTolerance(tr), MinCoverage: 0.99}
	if tr.Messaging.Batched {
		a.MinCoverage = 0.95
	}
	if len(r.Services) > 0 {
		a.Culprit = r.Services[0].Name
		if r.Services[0].Role != triage.RoleCulprit {
			a.Culprit += " (" + string(r.Services[0].Role) + ")"
		}
	}
	for _, s := range r.Services {
		if s.Role == triage.RoleCulprit && s.Name == tr.Scenario.NoiseService {
			a.NoiseCulprit = true
		}
	}
	latency := tr.Kind == sim.KindLatency
	truthUsers := map[string]bool{}
	for _, u := range tr.Users {
		truthUsers[u.ID] = true
	}
	sampled := map[string]bool{}
	for _, row := range r.Traces {
		sampled[row.TraceID] = true
	}
	for _, u := range tr.Users {
		ids := u.TraceIDs
		if latency {
			ids = u.SlowTraceIDs
		}
		if slices.ContainsFunc(ids, func(id string) bool { return sampled[id] }) {
			a.TruthInSample++
		}
	}
	named := 0
	for _, u := range r.Users {
		if (latency && u.Slow == 0) || (!latency && u.Failed == 0) {
			continue
		}
		a.Seen++
		if truthUsers[u.ID] {
			named++
		} else {
			a.NotInTruth = append(a.NotInTruth, u.ID)
		}
	}
	if a.TruthInSample > 0 {
		a.Coverage = float64(named) / float64(a.TruthInSample)
	}
	recovered := map[string]bool{}
	a.RecoveredTruth = len(tr.RecoveredUsers)
	for _, id := range tr.RecoveredUsers {
		recovered[id] = true
	}
	if r.Impact != nil && r.Impact.SampledTraces != nil {
		a.RootOKSampled = *r.Impact.SampledTraces - len(r.Traces)
	}
	for _, u := range r.Users {
		if recovered[u.ID] {
			a.Recovered = append(a.Recovered, u.ID)
		}
	}
	if m := tr.Messaging; m.ConsumerTraces > 0 && tr.Culprit == m.Consumer && m.ProducerRoot != "" {
		a.WantEntry = tr.EntryService + " " + m.ProducerRoot + " → " + m.Topic + " → " + m.Consumer
		a.Entry = "none"
		if r.Impact != nil && slices.Contains(r.Impact.EntryPoints, a.WantEntry) {
			a.Entry = "listed"
			if strings.Contains(triage.ImpactUsers(r.Impact, func(string) string { return "" }), " via "+a.WantEntry) {
				a.Entry = a.WantEntry
			}
		}
	}
	for i, d := range r.Differences {
		if d.Attribute == tr.Difference.Attribute && d.Value == tr.Difference.Value {
			a.DiffRank = i + 1
			break
		}
	}
	if r.Impact != nil && r.Impact.UsersEstimate != nil && tr.AffectedUsers > 0 {
		a.Estimate = r.Impact.UsersEstimate.Value
		a.EstimateErr = (a.Estimate - float64(tr.AffectedUsers)) / float64(tr.AffectedUsers)
	}
	return a
}

// EstimateTolerance is the user estimate's allowed relative error: ±15%,
// as the acceptance bar says, for error and latency incidents alike.
func EstimateTolerance(sim.GroundTruth) float64 { return 0.15 }

// Problems lists where the report misses the acceptance bar.
func (a Accuracy) Problems() []string {
	var out []string
	if a.Culprit != a.Want {
		out = append(out, fmt.Sprintf("top culprit %q, want %q", a.Culprit, a.Want))
	}
	if a.NoiseCulprit {
		out = append(out, "the noise service is ranked culprit")
	}
	if len(a.NotInTruth) > 0 {
		out = append(out, fmt.Sprintf("%d users named are not affected in the truth: %v", len(a.NotInTruth), a.NotInTruth[:min(5, len(a.NotInTruth))]))
	}
	if a.TruthInSample > 0 && a.Coverage < a.MinCoverage {
		out = append(out, fmt.Sprintf("users named cover %.1f%% of the %d truth users in the sample, want ≥ %.0f%%", 100*a.Coverage, a.TruthInSample, 100*a.MinCoverage))
	}
	if len(a.Recovered) > 0 {
		out = append(out, fmt.Sprintf("%d users named only failed on attempts a retry recovered: %v", len(a.Recovered), a.Recovered[:min(5, len(a.Recovered))]))
	}
	if a.WantEntry != "" && a.Entry != a.WantEntry {
		out = append(out, fmt.Sprintf("IMPACT names the users by entry %q, want %q", a.Entry, a.WantEntry))
	}
	if a.DiffRank < 1 || a.DiffRank > 3 {
		out = append(out, fmt.Sprintf("planted difference ranked %d, want top 3", a.DiffRank))
	}
	if math.IsNaN(a.EstimateErr) || math.Abs(a.EstimateErr) > a.Tolerance {
		out = append(out, fmt.Sprintf("user estimate %.0f vs truth %d (%+.1f%%), want within ±%.0f%%", a.Estimate, a.Truth, 100*a.EstimateErr, 100*a.Tolerance))
	}
	return out
}

// Table renders rows as a markdown table.
func Table(rows []Accuracy) string {
	var b strings.Builder
	b.WriteString("| scenario | top culprit (truth) | noise never culprit | users named ⊆ truth | coverage of truth users in sample | recovered named (root-OK traces sampled) | entry point | planted difference rank | estimate / truth | error (allowed) |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, a := range rows {
		entry := "–"
		if a.WantEntry != "" {
			entry = a.Entry
		}
		fmt.Fprintf(&b, "| %s | %s (%s) | %v | %d, %d outside | %.1f%% of %d | %d (%d) | %s | %d | %.0f / %d | %+.1f%% (±%.0f%%) |\n",
			a.Scenario, a.Culprit, a.Want, !a.NoiseCulprit, a.Seen, len(a.NotInTruth), 100*a.Coverage, a.TruthInSample,
			len(a.Recovered), a.RootOKSampled, entry, a.DiffRank, a.Estimate, a.Truth, 100*a.EstimateErr, 100*a.Tolerance)
	}
	return b.String()
}

// Precision is the share of the users the report names as affected that
// the truth has affected; NaN when it names none.
func (a Accuracy) Precision() float64 {
	if a.Seen == 0 {
		return math.NaN()
	}
	return float64(a.Seen-len(a.NotInTruth)) / float64(a.Seen)
}

// Cell is the score in one line: culprit, users' precision and recall,
// the estimate's error, the planted difference's rank.
func (a Accuracy) Cell() string {
	culprit := a.Culprit
	if culprit == a.Want {
		culprit += " ✓"
	} else {
		culprit += " ✗"
	}
	s := fmt.Sprintf("%s · P %.0f%% · R %.0f%% of %d · est %+.1f%% · diff #%d",
		culprit, 100*a.Precision(), 100*a.Coverage, a.TruthInSample, 100*a.EstimateErr, a.DiffRank)
	if a.WantEntry != "" {
		mark := "✓"
		if a.Entry != a.WantEntry {
			mark = "✗ (" + a.Entry + ")"
		}
		s += " · entry via the hop " + mark
	}
	if a.RecoveredTruth > 0 {
		s += fmt.Sprintf(" · recovered named %d (%d root-OK sampled)", len(a.Recovered), a.RootOKSampled)
	}
	return s
}

// SideBySide renders each scenario's scores on several trace backends,
// one column per backend, as a markdown table: a scenario a backend did
// not run shows "—".
func SideBySide(backends, scenarios []string, scores map[string]map[string]Accuracy) string {
	var b strings.Builder
	b.WriteString("| scenario | truth culprit |")
	for _, be := range backends {
		b.WriteString(" " + be + ": culprit · users precision · recall in sample · estimate error · planted difference rank |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(backends)) + "\n")
	for _, sc := range scenarios {
		want := ""
		for _, be := range backends {
			if a, ok := scores[be][sc]; ok {
				want = a.Want
			}
		}
		fmt.Fprintf(&b, "| %s | %s |", sc, want)
		for _, be := range backends {
			a, ok := scores[be][sc]
			if !ok {
				b.WriteString(" — |")
				continue
			}
			b.WriteString(" " + a.Cell() + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}
