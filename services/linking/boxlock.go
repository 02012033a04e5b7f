package linking

import "sync"

// boxLocks lets one refresh at a time change a given box in this replica.
// Several stories handled at once often enter the same older box (they
// are of one topic): without it their refreshes computed the box side by
// side, all but one lost the compare-and-set, and each loser paid its
// search, a refused write and a read again before computing once more
// from the winner's box, which is what waiting for the winner gives it,
// from the Store's copy, for free. Other replicas are still kept apart
// by the compare-and-set alone.
type boxLocks struct {
	mu sync.Mutex
	m  map[string]*boxLock
}

type boxLock struct {
	sync.Mutex
	users int // holders and waiters; the entry goes when none is left
}

// lock waits until no other refresh of this replica holds box, and
// returns the function that lets the next one in.
func (l *boxLocks) lock(box string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*boxLock)
	}
	b := l.m[box]
	if b == nil {
		b = &boxLock{}
		l.m[box] = b
	}
	b.users++
	l.mu.Unlock()
	b.Lock()
	return func() {
		b.Unlock()
		l.mu.Lock()
		if b.users--; b.users == 0 {
			delete(l.m, box)
		}
		l.mu.Unlock()
	}
}
