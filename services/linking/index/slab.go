package index

// slab hands out the small slices of many prepared stories from a few
// large allocations. A bulk load prepares a million stories, each with
// its terms, their hashes and frequencies and the lower-case copies of
// its capitalised words: allocated one by one, they cost more than
// filling them does, and the garbage collector sees a dozen objects a
// story. A slab's pieces are never handed out twice, so a Prepared may
// outlive the slab; a chunk is freed when nothing points into it any
// more. A nil *slab allocates each slice on its own (one story, as
// Prepare does it).
type slab struct {
	strs  []string
	u64s  []uint64
	u16s  []uint16
	bytes []byte
	preps []Prepared
}

// slabChunk is the number of elements a chunk holds (more if one piece
// needs it): a few hundred stories' worth of terms.
const slabChunk = 1 << 15

// carve returns the next n elements of *chunk, with a capacity of n (an
// append to the piece cannot run into its neighbour), starting a new
// chunk if this one is full.
func carve[T any](chunk *[]T, n int) []T {
	c := *chunk
	if n > cap(c)-len(c) {
		c = make([]T, 0, max(slabChunk, n))
	}
	*chunk = c[:len(c)+n]
	return c[len(c) : len(c)+n : len(c)+n]
}

func (s *slab) strings(n int) []string {
	if s == nil {
		return make([]string, n)
	}
	return carve(&s.strs, n)
}

func (s *slab) uint64s(n int) []uint64 {
	if s == nil {
		return make([]uint64, n)
	}
	return carve(&s.u64s, n)
}

func (s *slab) uint16s(n int) []uint16 {
	if s == nil {
		return make([]uint16, n)
	}
	return carve(&s.u16s, n)
}

// byteSlice returns n bytes to fill (a lower-case copy, a name).
func (s *slab) byteSlice(n int) []byte {
	if s == nil {
		return make([]byte, n)
	}
	return carve(&s.bytes, n)
}

// prepared returns a zero Prepared.
func (s *slab) prepared() *Prepared {
	if s == nil {
		return new(Prepared)
	}
	if len(s.preps) == cap(s.preps) {
		s.preps = make([]Prepared, 0, 256)
	}
	s.preps = s.preps[:len(s.preps)+1]
	return &s.preps[len(s.preps)-1]
}
