package triage

import "time"

// muchSlowerBy is the least extra time for an operation to count as much
// slower in the failing trace; it must also take at least twice as long.
const muchSlowerBy = 100 * time.Millisecond

// New says the operation is in the failing trace only.
func (d OperationDelta) New() bool { return d.Healthy == 0 && d.Failing > 0 }

// Missing says the operation is in the healthy trace only.
func (d OperationDelta) Missing() bool { return d.Failing == 0 && d.Healthy > 0 }

// Erroring says the operation has more erroring spans in the failing trace.
func (d OperationDelta) Erroring() bool { return d.FailingErrors > d.HealthyErrors }

// MuchSlower says the operation, in both traces, took at least twice as
// long and 100ms more in the failing one.
func (d OperationDelta) MuchSlower() bool {
	return d.Failing > 0 && d.Healthy > 0 && d.Delta() >= muchSlowerBy && d.FailingTime >= 2*d.HealthyTime
}

// AlignedOperation is an operation of a comparison at its place in the two
// span trees.
type AlignedOperation struct {
	OperationDelta
	Depth int // the operation's depth below the root, where it first appears
}

// Aligned lists the comparison's operations as the two span trees have
// them: the failing trace's in its depth-first order, each operation where
// it first appears, and the healthy trace's own operations inserted under
// their parent's operation, after its other children. The figures are
// Operations'; operations of spans neither tree keeps come last.
func (c *TraceComparison) Aligned() []AlignedOperation {
	type opKey struct{ svc, name string }
	byKey := make(map[opKey]int, len(c.Operations))
	for i, op := range c.Operations {
		byKey[opKey{op.Service, op.Name}] = i
	}
	var out []AlignedOperation
	placed := make(map[opKey]bool, len(c.Operations))
	// at is where an operation is in out; out is small, a scan is enough.
	at := func(k opKey) int {
		for i := range out {
			if out[i].Service == k.svc && out[i].Name == k.name {
				return i
			}
		}
		return -1
	}
	place := func(tr *Tree) {
		if tr == nil {
			return
		}
		for _, i := range tr.Order() {
			s := tr.Span(int(i))
			k := opKey{s.Service(), s.Name}
			j, ok := byKey[k]
			if !ok || placed[k] {
				continue
			}
			pos, depth := len(out), 0
			if p := tr.Parent(int(i)); p >= 0 {
				ps := tr.Span(p)
				if pp := at(opKey{ps.Service(), ps.Name}); pp >= 0 {
					depth = out[pp].Depth + 1
					pos = pp + 1
					for pos < len(out) && out[pos].Depth >= depth {
						pos++
					}
				}
			}
			out = append(out, AlignedOperation{})
			copy(out[pos+1:], out[pos:])
			out[pos] = AlignedOperation{OperationDelta: c.Operations[j], Depth: depth}
			placed[k] = true
		}
	}
	place(c.Failing.Tree())
	place(c.Healthy.Tree())
	for _, op := range c.Operations {
		if !placed[opKey{op.Service, op.Name}] {
			out = append(out, AlignedOperation{OperationDelta: op})
		}
	}
	return out
}
