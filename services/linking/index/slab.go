package index

import "sync"

// slab hands out the small slices of many prepared stories from a few
// large allocations. A bulk load prepares a million stories, each with
// its terms, their hashes, frequencies and ids, its signature and the
// lower-case copies of its capitalised words: allocated one by one,
// they cost more than filling them does, and the garbage collector sees
// a dozen objects a story. Without a pool, a slab's pieces are never
// handed out twice, so a Prepared may outlive the slab; a chunk is freed
// when nothing points into it any more. With one (AddAll's), its chunks
// are given back, and handed out again, once the stories carved from
// them are put: nothing may keep them after that. A nil *slab allocates
// each slice on its own (one story, as Prepare does it).
type slab struct {
	strs  []string
	u64s  []uint64
	u16s  []uint16
	u32s  []uint32
	i32s  []int32
	bools []bool
	bytes []byte
	preps []Prepared
	// pool, if not nil, gives the chunks (recycled ones when it has
	// them), and used lists those this slab took, to give back once
	// nothing points into them.
	pool *slabPool
	used slabChunks
}

// slabChunk is the number of elements a chunk holds (more if one piece
// needs it): a few hundred stories' worth of terms.
const slabChunk = 1 << 15

// slabChunks are chunks of each kind a slab carves.
type slabChunks struct {
	strs  [][]string
	u64s  [][]uint64
	u16s  [][]uint16
	u32s  [][]uint32
	i32s  [][]int32
	bools [][]bool
	bytes [][]byte
	preps [][]Prepared
}

// slabPool recycles the chunks of a bulk load's slabs. Fresh, a chunk
// is memory the process has not touched yet: the kernel maps it in,
// page by page, and the runtime zeroes it, about a tenth of the build's
// CPU at a million stories (6 KB a story). A batch's chunks are given
// back once the adder has put its stories (the index keeps copies of
// what it needs), and the next batches reuse them while they are still
// mapped and likely in cache. A recycled chunk is zeroed as a fresh one
// is, so a piece is the same either way.
type slabPool struct {
	mu   sync.Mutex
	free slabChunks
}

// take returns a free chunk of room at least n from *free, zeroed and
// empty, or nil if there is none.
func take[T any](p *slabPool, free *[][]T, n int) []T {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(*free) - 1; i >= 0; i-- {
		if c := (*free)[i]; cap(c) >= n {
			(*free)[i] = (*free)[len(*free)-1]
			*free = (*free)[:len(*free)-1]
			c = c[:cap(c)]
			clear(c)
			return c[:0]
		}
	}
	return nil
}

// give makes the chunks of u free for reuse, and empties u.
func (p *slabPool) give(u *slabChunks) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := &p.free
	f.strs, f.u64s, f.u16s = append(f.strs, u.strs...), append(f.u64s, u.u64s...), append(f.u16s, u.u16s...)
	f.u32s, f.i32s, f.bools = append(f.u32s, u.u32s...), append(f.i32s, u.i32s...), append(f.bools, u.bools...)
	f.bytes, f.preps = append(f.bytes, u.bytes...), append(f.preps, u.preps...)
	*u = slabChunks{}
}

// reset empties the slab for a new batch of stories, whose chunks it
// takes afresh; the ones it has are in s.used, to give back.
func (s *slab) reset() {
	pool := s.pool
	*s = slab{pool: pool}
}

// carve returns the next n elements of *chunk, with a capacity of n (an
// append to the piece cannot run into its neighbour), starting a new
// chunk if this one is full: from the pool if it has one (then used
// records it), or else allocated.
// A new chunk holds size elements (n if more); kind picks the list of
// chunks of its kind.
func carve[T any](s *slab, chunk *[]T, n, size int, kind func(*slabChunks) *[][]T) []T {
	c := *chunk
	if n > cap(c)-len(c) {
		c = nil
		if s.pool != nil {
			c = take(s.pool, kind(&s.pool.free), n)
		}
		if c == nil {
			c = make([]T, 0, max(size, n))
		}
		if s.pool != nil {
			used := kind(&s.used)
			*used = append(*used, c)
		}
	}
	*chunk = c[:len(c)+n]
	return c[len(c) : len(c)+n : len(c)+n]
}

func (s *slab) strings(n int) []string {
	if s == nil {
		return make([]string, n)
	}
	return carve(s, &s.strs, n, slabChunk, func(c *slabChunks) *[][]string { return &c.strs })
}

func (s *slab) uint64s(n int) []uint64 {
	if s == nil {
		return make([]uint64, n)
	}
	return carve(s, &s.u64s, n, slabChunk, func(c *slabChunks) *[][]uint64 { return &c.u64s })
}

func (s *slab) uint16s(n int) []uint16 {
	if s == nil {
		return make([]uint16, n)
	}
	return carve(s, &s.u16s, n, slabChunk, func(c *slabChunks) *[][]uint16 { return &c.u16s })
}

func (s *slab) uint32s(n int) []uint32 {
	if s == nil {
		return make([]uint32, n)
	}
	return carve(s, &s.u32s, n, slabChunk, func(c *slabChunks) *[][]uint32 { return &c.u32s })
}

func (s *slab) int32s(n int) []int32 {
	if s == nil {
		return make([]int32, n)
	}
	return carve(s, &s.i32s, n, slabChunk, func(c *slabChunks) *[][]int32 { return &c.i32s })
}

func (s *slab) boolSlice(n int) []bool {
	if s == nil {
		return make([]bool, n)
	}
	return carve(s, &s.bools, n, slabChunk, func(c *slabChunks) *[][]bool { return &c.bools })
}

// byteSlice returns n bytes to fill (a lower-case copy, a name).
func (s *slab) byteSlice(n int) []byte {
	if s == nil {
		return make([]byte, n)
	}
	return carve(s, &s.bytes, n, slabChunk, func(c *slabChunks) *[][]byte { return &c.bytes })
}

// prepared returns a zero Prepared.
func (s *slab) prepared() *Prepared {
	if s == nil {
		return new(Prepared)
	}
	p := carve(s, &s.preps, 1, 256, func(c *slabChunks) *[][]Prepared { return &c.preps })
	return &p[0]
}
