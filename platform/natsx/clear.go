package natsx

import (
	"context"
	"sync"
	"time"
)

// DefaultClearDelay is Store.ClearDelay's default: longer than a service
// usually takes to change an article again (its next step, even on a
// loaded machine), well below RecoveryMinAge, so that another replica's
// recovery does not find a record whose clear is merely due.
const DefaultClearDelay = 2 * time.Second

// clearTimeout bounds a deferred clear's write.
const clearTimeout = 5 * time.Second

// owedClears lists, per key, the revision of a record this Store wrote
// with events that it has published since and not yet cleared. Update
// consults it so as not to publish those events again when it reads the
// record back, and a write over the record drops the entry: that write
// cleared them.
type owedClears struct {
	mu sync.Mutex
	m  map[string]owedClear
}

type owedClear struct {
	rev   uint64
	value []byte // the record's protobuf value, to write back without events
}

func (o *owedClears) add(key string, rev uint64, value []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = make(map[string]owedClear)
	}
	if old, ok := o.m[key]; !ok || old.rev < rev {
		o.m[key] = owedClear{rev: rev, value: value}
	}
}

// published reports whether the record at key and rev holds events this
// Store has published.
func (o *owedClears) published(key string, rev uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	c, ok := o.m[key]
	return ok && c.rev == rev
}

// drop forgets the clear owed on key below revision rev.
func (o *owedClears) drop(key string, rev uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c, ok := o.m[key]; ok && c.rev < rev {
		delete(o.m, key)
	}
}

// take removes and returns the clear owed on key at revision rev, if it is
// still owed.
func (o *owedClears) take(key string, rev uint64) (owedClear, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	c, ok := o.m[key]
	if !ok || c.rev != rev {
		return owedClear{}, false
	}
	delete(o.m, key)
	return c, true
}

// clearLater clears the events of the record at key and rev, which are
// published, after ClearDelay, unless a write has replaced the record by
// then. Until then the record keeps events that are already out: a reader
// that finds them publishes them again (Update does so only in another
// process, where their ids dedupe them), and a crash leaves them to
// Recover, as a crash between publishing and clearing always did.
func (s *Store[T]) clearLater(key string, value []byte, rev uint64) {
	s.owed.add(key, rev, value)
	time.AfterFunc(s.ClearDelay, func() {
		c, ok := s.owed.take(key, rev)
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), clearTimeout)
		defer cancel()
		if newRev, ok := s.clearPending(ctx, key, c.value, rev); ok && newRev != 0 {
			s.cache.put(key, c.value, newRev)
		}
	})
}
