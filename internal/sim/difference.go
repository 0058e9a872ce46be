package sim

// differences measures the planted attribute on the failure's origin span
// and the error segment on the entry span, each in failing traces against
// healthy traces through the same service, the way the ranking model does.
func (i *Incident) differences(gt *GroundTruth) {
	if k, v, err := parseKV("Planted", i.sc.Planted); err == nil && gt.Culprit != "" {
		origin := gt.originService()
		var fail, failHit, base, baseHit int
		for ti := range i.traces {
			tr := &i.traces[ti]
			s := i.failureSpan(tr, gt.Culprit)
			if !tr.root().failed {
				s = i.firstSpanOf(tr, origin)
			}
			if s == nil {
				continue
			}
			hit := i.podAttr(s.pod, k) == v
			if tr.root().failed {
				fail++
				failHit += b2i(hit)
			} else {
				base++
				baseHit += b2i(hit)
			}
		}
		gt.Difference = Difference{Attribute: k, Value: v, FailingShare: share(failHit, fail), BaselineShare: share(baseHit, base)}
	}
	if k, v, err := parseKV("ErrorSegment", i.sc.ErrorSegment); err == nil {
		var fail, failHit, base, baseHit int
		for ti := range i.traces {
			root := i.traces[ti].root()
			if root.kind != kindServer {
				continue
			}
			hit := root.strAttr(k) == v
			if root.failed {
				fail++
				failHit += b2i(hit)
			} else {
				base++
				baseHit += b2i(hit)
			}
		}
		gt.SegmentDifference = Difference{Attribute: k, Value: v, FailingShare: share(failHit, fail), BaselineShare: share(baseHit, base)}
	}
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
