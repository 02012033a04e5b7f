package index

import (
	"sync"
	"unsafe"
)

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

// merger yields a query's documents from its essential lists in
// document order, each with the essential lists that have it: through
// the heap, or, when the essential lists are short enough, from all
// their postings decoded at once and sorted by document (a radix sort
// of one or two passes), which costs a fraction of the heap's sifting
// and knows the documents ahead, so their dates and lengths, a cache
// miss each in a large index, are prefetched while the query works on
// the ones before. Either way the documents, their lists and
// frequencies are the same.
type merger struct {
	mergeHeap
	sorted bool
	ents   []uint64 // sorted: document<<32 | list<<16 | tf
	k      int      // sorted: the next entry
	ess    int      // sorted: lists before it are not essential
	// The current document's essential lists (by index), their term
	// frequencies, and (heap) their cursors' heap positions.
	at  []int
	tfs []uint16
	pos []int
	// The index's per-document dates and lengths, to prefetch.
	dPub []int64
	dLen []uint32
}

// sortedMax is the most postings the essential lists may have to be
// merged by sorting: 64 Ki entries, half a megabyte. (A variable, so
// tests can take the heap's path too.)
var sortedMax = 1 << 16

// prefetchAhead is how many entries ahead of the current document the
// sorted merge prefetches: a few documents, about the time a miss takes.
const prefetchAhead = 6

// mergeBufs is what a merger keeps from query to query: the sorted
// merge's entries, and the room for a document's lists and frequencies
// and the heap, which grew afresh for every query.
type mergeBufs struct {
	a, b    []uint64
	at, pos []int
	tfs     []uint16
	heap    []int
}

var mergePool = sync.Pool{New: func() any { return new(mergeBufs) }}

// init starts the merge of the lists of cs from ess on, sorted if they
// are short enough (then bufs holds the entries; the cursors stay where
// they are).
func (m *merger) init(cs []scan, ess int, bufs *mergeBufs) {
	m.cs = cs
	m.at, m.pos, m.tfs, m.h = bufs.at[:0], bufs.pos[:0], bufs.tfs[:0], bufs.heap[:0]
	total, last := 0, uint32(0)
	for i := ess; i < len(cs); i++ {
		total += int(cs[i].l.n)
		last = max(last, cs[i].l.last)
	}
	if total > sortedMax || len(cs) > 1<<16 {
		m.mergeHeap.reset(ess)
		return
	}
	m.sorted, m.ess, m.k = true, ess, 0
	e := bufs.a[:0]
	for i := ess; i < len(cs); i++ {
		e = appendPostings(e, cs[i].l, uint64(i)<<16)
	}
	tmp := bufs.b
	if cap(tmp) < len(e) {
		tmp = make([]uint64, len(e))
	}
	tmp = tmp[:len(e)]
	m.ents = sortHigh(e, tmp, last)
	bufs.a, bufs.b = e, tmp // kept for the next query
}

// keep gives bufs the room the merge grew, for the next query.
func (m *merger) keep(bufs *mergeBufs) {
	bufs.at, bufs.pos, bufs.tfs, bufs.heap = m.at, m.pos, m.tfs, m.h
}

// reset makes the lists from ess on the essential ones.
func (m *merger) reset(ess int) {
	if m.sorted {
		m.ess = ess
		return
	}
	m.mergeHeap.reset(ess)
}

// next moves to the next document, filling at and tfs; false at the end.
// The caller calls advance before the next call.
func (m *merger) next() (uint32, bool) {
	m.at, m.tfs, m.pos = m.at[:0], m.tfs[:0], m.pos[:0]
	if !m.sorted {
		if m.done() {
			return 0, false
		}
		d := m.cs[m.h[0]].doc
		m.at, m.pos = m.atTop(d, m.at, m.pos)
		for _, i := range m.at {
			m.tfs = append(m.tfs, m.cs[i].tf)
		}
		return d, true
	}
	e, k := m.ents, m.k
	for k < len(e) {
		d := uint32(e[k] >> 32)
		for ; k < len(e) && uint32(e[k]>>32) == d; k++ {
			if i := int(e[k] >> 16 & 0xffff); i >= m.ess {
				m.at = append(m.at, i)
				m.tfs = append(m.tfs, uint16(e[k]))
			}
		}
		if len(m.at) > 0 {
			m.k = k
			if k+prefetchAhead < len(e) {
				a := uint32(e[k+prefetchAhead] >> 32)
				prefetch(unsafe.Pointer(&m.dPub[a]))
				prefetch(unsafe.Pointer(&m.dLen[a]))
			}
			return d, true
		}
	}
	m.k = k
	return 0, false
}

// advance moves the heap's cursors past the current document.
func (m *merger) advance() {
	if !m.sorted {
		m.mergeHeap.advance(m.pos)
	}
}

// appendPostings appends every posting of l to e as document<<32 | tag |
// tf, decoding the list from its start (the gaps run on across blocks).
func appendPostings(e []uint64, l *plist, tag uint64) []uint64 {
	data := l.data
	doc := uint32(0)
	for p := 0; p < len(data); {
		var v uint64
		if c := data[p]; c < 0x80 {
			v = uint64(c)
			p++
		} else {
			var k int
			v, k = uvarint(data[p:])
			p += k
		}
		doc += uint32(v >> 1)
		tf := uint64(1)
		if v&1 == 0 {
			t, k := uvarint(data[p:])
			p += k
			tf = t
		}
		e = append(e, uint64(doc)<<32|tag|tf&0xffff)
	}
	return e
}
