package index

// mergeHeap is a min-heap of the essential cursors of a query (indices
// into cs) by their current document: the document-at-a-time merge of
// candidates.
type mergeHeap struct {
	cs []scan
	h  []int
}

// reset makes the heap hold the cursors from ess on that are not
// exhausted.
func (m *mergeHeap) reset(ess int) {
	m.h = m.h[:0]
	for i := ess; i < len(m.cs); i++ {
		if m.cs[i].doc != endDoc {
			m.h = append(m.h, i)
		}
	}
	for i := len(m.h)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
}

// atTop appends to pos the heap positions of the cursors on document d,
// which must be the heap's least (they are the top and its descendants
// on d, in increasing positions), and to at the cursors, in the order of
// their indices (so scores add up in the same order whatever the
// heap's). The cursors stay in the heap until advance moves them on.
func (m *mergeHeap) atTop(d uint32, at, pos []int) ([]int, []int) {
	h, cs := m.h, m.cs
	pos = append(pos, 0)
	for k := 0; k < len(pos); k++ {
		for c := 2*pos[k] + 1; c <= 2*pos[k]+2 && c < len(h); c++ {
			if cs[h[c]].doc == d {
				pos = append(pos, c)
			}
		}
	}
	for _, p := range pos {
		// Insertion: at is short.
		at = append(at, h[p])
		for k := len(at) - 1; k > 0 && at[k-1] > at[k]; k-- {
			at[k-1], at[k] = at[k], at[k-1]
		}
	}
	return at, pos
}

// advance moves the cursors at heap positions pos (from atTop) to their
// next documents and sifts each down in place, deepest first: one pass
// down the heap where popping and pushing them back took two. Exhausted
// cursors sink to the bottom; the merge ends when one reaches the top.
func (m *mergeHeap) advance(pos []int) {
	for k := len(pos) - 1; k >= 0; k-- {
		m.cs[m.h[pos[k]]].next()
		m.down(pos[k])
	}
}

// done reports whether every cursor in the heap is exhausted.
func (m *mergeHeap) done() bool {
	return len(m.h) == 0 || m.cs[m.h[0]].doc == endDoc
}

func (m *mergeHeap) up(j int) {
	h, cs := m.h, m.cs
	for j > 0 {
		p := (j - 1) / 2
		if cs[h[p]].doc <= cs[h[j]].doc {
			break
		}
		h[p], h[j] = h[j], h[p]
		j = p
	}
}

func (m *mergeHeap) down(j int) {
	h, cs := m.h, m.cs
	n := len(h)
	for {
		l := 2*j + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && cs[h[r]].doc < cs[h[l]].doc {
			c = r
		}
		if cs[h[j]].doc <= cs[h[c]].doc {
			return
		}
		h[j], h[c] = h[c], h[j]
		j = c
	}
}
