package triage

import (
	"math"
	"slices"
	"strings"
)

// minStratum is the baseline traces a place or an entry point needs before
// its share is compared.
const minStratum = 5

type diffRow struct {
	Difference
	diff   float64
	values int
}

// prune drops, before the baseline is counted, what cannot rank: values
// below the minimum support, and keys holding ids, with nearly one value
// per failing trace.
func (d *differ) prune() {
	carriers := map[placeKey]int{}
	d.values = map[placeKey]int{}
	for k, s := range d.stats {
		if k.stratum < 0 {
			d.values[placeKey{k.at, k.key}]++
			carriers[placeKey{k.at, k.key}] += s.fail
		}
	}
	drop := func(k diffKey) bool {
		pk := placeKey{k.at, k.key}
		if v := d.values[pk]; v >= 10 && 2*v >= carriers[pk] {
			return true
		}
		pooled := d.stats[diffKey{k.at, -1, k.key, k.value}]
		return pooled == nil || pooled.fail < d.opts.MinSupport
	}
	for k := range d.stats {
		if k.stratum >= 0 && drop(k) {
			delete(d.stats, k)
		}
	}
	for k := range d.stats {
		if drop(k) {
			delete(d.stats, k)
		}
	}
}

func (d *differ) rank() []Difference {
	// The entry points with enough baseline to compare within.
	comparable := make([]bool, len(d.failBy))
	anyComparable := false
	for st := range d.failBy {
		comparable[st] = d.baseBy[st] >= minStratum
		anyComparable = anyComparable || comparable[st]
	}
	var rows []diffRow
	for k, s := range d.stats {
		if k.stratum >= 0 {
			continue
		}
		var fail, failN int
		var baseShare float64
		var baseN int
		switch {
		case k.at == atEntry && anyComparable:
			fail, failN, baseShare, baseN = d.entryShares(k, comparable)
		default:
			fail, failN = s.fail, d.failN[k.at]
			baseN = d.baseN[k.at]
			if baseN > 0 {
				baseShare = float64(s.base) / float64(baseN)
			}
		}
		if fail < d.opts.MinSupport || failN == 0 || baseN < minStratum {
			continue
		}
		failShare := float64(fail) / float64(failN)
		diff := failShare - baseShare
		se := math.Sqrt(failShare*(1-failShare)/float64(failN) + baseShare*(1-baseShare)/float64(baseN))
		if diff <= 0 || diff < 2*se {
			continue
		}
		where := WhereOrigin
		if k.at == atEntry {
			where = WhereEntry
		}
		rows = append(rows, diffRow{
			Difference: Difference{Attribute: k.key, Value: k.value, FailingShare: failShare, BaselineShare: baseShare, Support: fail, Where: where},
			diff:       diff, values: d.values[placeKey{k.at, k.key}],
		})
	}
	slices.SortFunc(rows, func(a, b diffRow) int {
		switch {
		case a.diff != b.diff:
			return cmpFloatDesc(a.diff, b.diff)
		case a.FailingShare != b.FailingShare:
			return cmpFloatDesc(a.FailingShare, b.FailingShare)
		case tiePriority(a.Attribute) != tiePriority(b.Attribute):
			return tiePriority(a.Attribute) - tiePriority(b.Attribute)
		case a.values != b.values:
			// The more specific attribute first: a node before its zone.
			return b.values - a.values
		case a.Attribute != b.Attribute:
			return compareStrings(a.Attribute, b.Attribute)
		case a.Value != b.Value:
			return compareStrings(a.Value, b.Value)
		}
		return compareStrings(a.Where, b.Where)
	})
	out := make([]Difference, 0, min(len(rows), d.opts.Top))
	at := map[[2]string]int{} // attribute=value → its row in out
	for _, r := range rows {
		k := [2]string{r.Attribute, r.Value}
		if i, ok := at[k]; ok {
			// One row per attribute=value: the place where it differs
			// most leads, and the row lists every place it was found.
			if !slices.Contains(out[i].Spans, r.Where) {
				out[i].Spans = append(out[i].Spans, r.Where)
				slices.Sort(out[i].Spans)
			}
			continue
		}
		if len(out) == d.opts.Top {
			break
		}
		if r.Where == WhereEntry && slices.ContainsFunc(rows, func(o diffRow) bool { return o.Where == WhereOrigin && o.sameAs(r) }) {
			// The origin ran in the entry's process: one finding, not two.
			continue
		}
		r.Spans = []string{r.Where}
		at[k] = len(out)
		out = append(out, r.Difference)
	}
	return out
}

func (r diffRow) sameAs(o diffRow) bool {
	return r.Attribute == o.Attribute && r.Value == o.Value && r.Support == o.Support &&
		r.FailingShare == o.FailingShare && r.BaselineShare == o.BaselineShare
}

// tiePriority orders attributes that split the traces exactly alike, as
// every attribute of one bad pod does: the most actionable explanation
// first. A version points at a rollback, a node at draining it; a zone or
// anything else is coarser.
func tiePriority(key string) int {
	switch {
	case strings.Contains(key, "version") || strings.HasPrefix(key, "container.image."):
		return 0
	case key == "k8s.node.name" || key == "host.name":
		return 1
	case strings.HasPrefix(key, "cloud.") || strings.HasPrefix(key, "k8s."):
		return 2
	}
	return 3
}

// entryShares compares key=value within the comparable entry points: the
// failing count and traces there, and the baseline share weighted by each
// entry point's share of those failing traces.
func (d *differ) entryShares(k diffKey, comparable []bool) (fail, failN int, baseShare float64, baseN int) {
	for st, n := range d.failBy {
		if !comparable[st] || n == 0 {
			continue
		}
		failN += n
		baseN += d.baseBy[st]
		if s := d.stats[diffKey{atEntry, int32(st), k.key, k.value}]; s != nil {
			fail += s.fail
		}
	}
	if failN == 0 {
		return 0, 0, 0, 0
	}
	for st, n := range d.failBy {
		if !comparable[st] || n == 0 {
			continue
		}
		if s := d.stats[diffKey{atEntry, int32(st), k.key, k.value}]; s != nil {
			baseShare += float64(n) / float64(failN) * float64(s.base) / float64(d.baseBy[st])
		}
	}
	return fail, failN, baseShare, baseN
}

// entryPointKey reports the keys that make up the entry point, compared
// within it by construction.
func entryPointKey(key string) bool {
	switch key {
	case "http.route", "http.request.method", "http.method":
		return true
	}
	return false
}

func cmpFloatDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// skipKey reports keys that hold ids or describe the outcome itself.
func skipKey(key string, extra []string) bool {
	switch key {
	case "k8s.pod.name", "k8s.pod.uid", "service.instance.id", "host.id", "container.id",
		"process.pid", "process.command_line", "trace_id", "span_id", "traceid", "spanid",
		"url.full", "http.url", "http.target", "url.query",
		"messaging.kafka.offset", "messaging.kafka.message.offset", "messaging.kafka.message.key",
		"error.type", "error.message", "error", "http.response.status_code", "http.status_code",
		"rpc.grpc.status_code", "otel.status_code", "otel.status_description",
		"exception.type", "exception.message", "exception.stacktrace":
		return true
	}
	for _, suffix := range [...]string{".id", ".uid", "_id", ".uuid"} {
		if strings.HasSuffix(key, suffix) {
			return true
		}
	}
	return slices.Contains(extra, key)
}
