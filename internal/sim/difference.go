package sim

// differences measures the planted attribute on the culprit's span and the
// fault's segment on the entry span, each in affected traces against healthy
// traces through the same service, the way the ranking model does.
func (i *Incident) differences(gt *GroundTruth, facts []traceFacts) {
	// Slow traces are healthy next to failing ones, but not in a latency incident.
	healthy := func(f traceFacts) bool { return !f.failing && (gt.Kind != KindLatency || !f.slow) }
	if k, v, err := parseKV("Planted", i.sc.Planted); err == nil && gt.Culprit != "" {
		origin := gt.originService()
		var fail, failHit, base, baseHit int
		for ti := range i.traces {
			tr := &i.traces[ti]
			var s *span
			switch {
			case gt.affected(facts[ti]):
				s = i.culpritSpan(tr, gt)
			case healthy(facts[ti]):
				s = i.firstSpanOf(tr, origin)
			}
			if s == nil {
				continue
			}
			hit := i.podAttr(s.pod, k) == v
			if gt.affected(facts[ti]) {
				fail++
				failHit += b2i(hit)
			} else {
				base++
				baseHit += b2i(hit)
			}
		}
		gt.Difference = Difference{Attribute: k, Value: v, FailingShare: share(failHit, fail), BaselineShare: share(baseHit, base)}
	}
	field, segment := "ErrorSegment", i.sc.ErrorSegment
	if gt.Kind == KindLatency {
		field, segment = "SlowSegment", i.sc.SlowSegment
	}
	if k, v, err := parseKV(field, segment); err == nil {
		var fail, failHit, base, baseHit int
		for ti := range i.traces {
			root := i.traces[ti].root()
			if root.kind != kindServer {
				continue
			}
			hit := root.strAttr(k) == v
			switch {
			case gt.affected(facts[ti]):
				fail++
				failHit += b2i(hit)
			case healthy(facts[ti]):
				base++
				baseHit += b2i(hit)
			}
		}
		gt.SegmentDifference = Difference{Attribute: k, Value: v, FailingShare: share(failHit, fail), BaselineShare: share(baseHit, base)}
	}
}

// culpritSpan is the span in an affected trace that blames the culprit: the
// error origin, or the span with the most self-time in a slow trace.
func (i *Incident) culpritSpan(tr *traceRec, gt *GroundTruth) *span {
	if gt.Kind == KindLatency {
		if s := &tr.spans[slowestSelf(tr)]; i.originName(s) == gt.Culprit {
			return s
		}
		return nil
	}
	return i.failureSpan(tr, gt.Culprit)
}

// failureSpan is the origin span in tr that blames culprit.
func (i *Incident) failureSpan(tr *traceRec, culprit string) *span {
	for _, k := range errorOrigins(tr) {
		if i.originName(&tr.spans[k]) == culprit {
			return &tr.spans[k]
		}
	}
	return nil
}

func (i *Incident) firstSpanOf(tr *traceRec, svc string) *span {
	for k := range tr.spans {
		if i.svcOf(&tr.spans[k]) == svc {
			return &tr.spans[k]
		}
	}
	return nil
}

func (i *Incident) podAttr(p int, key string) string {
	for _, a := range i.fleet.pods[p].attrs {
		if a.key == key {
			return a.str
		}
	}
	return ""
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}
