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

// popAll removes the cursors on document d, which must be the heap's
// least, and appends them to at in the order of their indices (so scores
// add up in the same order whatever the heap's).
func (m *mergeHeap) popAll(d uint32, at []int) []int {
	for len(m.h) > 0 && m.cs[m.h[0]].doc == d {
		i := m.h[0]
		n := len(m.h) - 1
		m.h[0] = m.h[n]
		m.h = m.h[:n]
		if n > 0 {
			m.down(0)
		}
		// Insertion: at is short.
		at = append(at, i)
		for k := len(at) - 1; k > 0 && at[k-1] > at[k]; k-- {
			at[k-1], at[k] = at[k], at[k-1]
		}
	}
	return at
}

// pushAll puts back the cursors at, moved on, unless exhausted.
func (m *mergeHeap) pushAll(at []int) {
	for _, i := range at {
		if m.cs[i].doc == endDoc {
			continue
		}
		m.h = append(m.h, i)
		m.up(len(m.h) - 1)
	}
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
