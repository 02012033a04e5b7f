package linking

import (
	"sync"

	"newsroom.dev/services/linking/index"
)

// live is this replica's copy of linking-docs: the index, plus each
// story's article revision. It remembers the KV revision it last applied
// per story, so that a watch update arriving late never undoes a newer
// change this replica's own handler already made.
type live struct {
	idx *index.Index

	mu   sync.Mutex
	seen map[string]uint64 // story → KV revision applied
	revs map[string]int64  // story → article revision indexed
}

func newLive(idx *index.Index) *live {
	return &live{idx: idx, seen: map[string]uint64{}, revs: map[string]int64{}}
}

// put indexes r, stored at KV revision kvRev, unless something newer was
// applied already.
func (l *live) put(kvRev uint64, r record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if kvRev <= l.seen[r.ID] {
		return
	}
	l.seen[r.ID] = kvRev
	l.revs[r.ID] = r.Revision
	l.idx.Add(r.doc())
}

// drop removes story id, deleted at KV revision kvRev or later. kvRev 0
// means the bucket no longer has it at all: drop it whatever was applied.
func (l *live) drop(id string, kvRev uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if kvRev != 0 {
		if kvRev <= l.seen[id] {
			return
		}
		l.seen[id] = kvRev
	}
	delete(l.revs, id)
	l.idx.Remove(id)
}

// get returns an indexed story and its article revision.
func (l *live) get(id string) (index.Doc, int64, bool) {
	l.mu.Lock()
	rev, ok := l.revs[id]
	l.mu.Unlock()
	if !ok {
		return index.Doc{}, 0, false
	}
	d, ok := l.idx.Get(id)
	return d, rev, ok
}
