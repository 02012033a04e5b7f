package natsx

import "sync"

// recordCache holds, per key, the last record a Store wrote and its KV
// revision, so that the next Update of that key can skip reading it back:
// a service usually changes one article several times in a row (created,
// submitted, cleared, published...). A cached record may be stale (another
// replica wrote since): the compare-and-set on its revision refuses the
// write then, and Update reads the bucket; so does any update whose
// function decides not to write, which must not rest on a stale copy.
// Only records whose events, if any, are published are cached: an update
// written over such a record may drop them.
type recordCache struct {
	mu    sync.Mutex
	m     map[string]cachedRecord // the newer generation
	old   map[string]cachedRecord // the one before: read, never added to
	bytes int                     // of the values in m
}

type cachedRecord struct {
	value []byte // the protobuf record
	rev   uint64
}

// A generation holds at most maxCachedRecords records and maxCachedBytes
// of them; when the newer one is full it becomes the older and the one
// before is dropped. So the records of the articles in flight survive a
// turn (starting afresh, as the cache once did, dropped them all at once,
// and each then cost a read), and the cache holds at most twice the
// bounds.
const (
	maxCachedRecords = 1024
	maxCachedBytes   = 8 << 20
)

func (c *recordCache) get(key string) (cachedRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.m[key]; ok {
		return r, true
	}
	r, ok := c.old[key]
	return r, ok
}

func (c *recordCache) put(key string, value []byte, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.m[key]
	if !ok {
		old, ok = c.old[key]
	}
	if ok && old.rev > rev {
		return
	}
	c.drop(key)
	if len(value) > maxCachedBytes/64 {
		return // a record this large is rare; not worth the room
	}
	if c.m == nil || len(c.m) >= maxCachedRecords || c.bytes+len(value) > maxCachedBytes {
		c.old, c.m, c.bytes = c.m, make(map[string]cachedRecord), 0
	}
	c.m[key] = cachedRecord{value: value, rev: rev}
	c.bytes += len(value)
}

func (c *recordCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop(key)
}

// drop removes key from both generations; c.mu is held.
func (c *recordCache) drop(key string) {
	if old, ok := c.m[key]; ok {
		delete(c.m, key)
		c.bytes -= len(old.value)
	}
	delete(c.old, key)
}
