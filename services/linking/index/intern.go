package index

// hashString is FNV-1a finished with splitmix64's mixer: deterministic
// across processes (snapshots and SimHash fingerprints depend on it) and
// well spread in every bit.
func hashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return mix(h)
}

func hashBytes(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return mix(h)
}

// FNV-1a's 64-bit parameters.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// interner maps strings to dense ids 0, 1, 2… The strings live end to end
// in one byte arena and the hash table holds ids, so a million strings cost
// their bytes plus about 20 bytes each, in three pointer-free slices the
// garbage collector never scans. Strings are never removed. Each slot
// keeps the upper half of its string's hash beside the id, so a probe
// reads the arena (two more cache misses) only for a likely match.
type interner struct {
	arena []byte
	ends  []uint32 // ends[id]: end of string id in arena; it starts at ends[id-1]
	table []uint64 // open addressing, linear probing: 0 empty, else hash>>32<<32 | id+1
}

func (in *interner) len() int { return len(in.ends) }

func (in *interner) bytes(id uint32) []byte {
	start := uint32(0)
	if id > 0 {
		start = in.ends[id-1]
	}
	return in.arena[start:in.ends[id]]
}

// str returns a copy of string id, safe to keep.
func (in *interner) str(id uint32) string { return string(in.bytes(id)) }

func (in *interner) lookup(s string) (uint32, bool) { return in.find(s, hashString(s)) }

func (in *interner) find(s string, h uint64) (uint32, bool) {
	if len(in.table) == 0 {
		return 0, false
	}
	mask := uint64(len(in.table) - 1)
	tag := h &^ (1<<32 - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		v := in.table[i]
		if v == 0 {
			return 0, false
		}
		if v&^(1<<32-1) == tag {
			if id := uint32(v) - 1; string(in.bytes(id)) == s {
				return id, true
			}
		}
	}
}

// findAll looks up ss[i] (whose hash is hs[i]) for every i, setting
// ids[i] to its id or to noTerm. It finds the same ids as find, but in
// three passes: the first reads every string's home slot, the second the
// arena of each likely match, the third probes as find does. The loads of
// a pass do not depend on one another, so the processor has many cache
// misses in flight at once, where find, one string at a time, waits for
// its table slot, then its end offset, then its bytes: in a large table
// those misses are most of a look-up's time.
// It returns a byte of the loads' so that none is optimised away.
func (in *interner) findAll(ss []string, hs []uint64, ids []uint32) byte {
	if len(in.table) == 0 {
		for i := range ids {
			ids[i] = noTerm
		}
		return 0
	}
	mask := uint64(len(in.table) - 1)
	for i, h := range hs {
		// The id+1 of the home slot, if its tag matches: 0 if none.
		if v := in.table[h&mask]; v&^(1<<32-1) == h&^(1<<32-1) {
			ids[i] = uint32(v)
		} else {
			ids[i] = 0
		}
	}
	var sink byte
	for _, v := range ids {
		start := uint32(0)
		if v > 1 {
			start = in.ends[v-2]
		}
		if v > 0 && int(start) < len(in.arena) {
			sink ^= in.arena[start]
		}
	}
	for i, s := range ss {
		if id, ok := in.find(s, hs[i]); ok {
			ids[i] = id
		} else {
			ids[i] = noTerm
		}
	}
	return sink
}

// intern returns the id of s (whose hash is h), adding it if new.
func (in *interner) intern(s string, h uint64) uint32 {
	if id, ok := in.find(s, h); ok {
		return id
	}
	if (len(in.ends)+1)*2 > len(in.table) {
		in.grow()
	}
	id := uint32(len(in.ends))
	in.arena = append(in.arena, s...)
	in.ends = append(in.ends, uint32(len(in.arena)))
	in.place(id, h)
	return id
}

func (in *interner) place(id uint32, h uint64) {
	mask := uint64(len(in.table) - 1)
	i := h & mask
	for in.table[i] != 0 {
		i = (i + 1) & mask
	}
	in.table[i] = h&^(1<<32-1) | uint64(id+1)
}

func (in *interner) grow() {
	n := max(64, len(in.table)*2)
	in.table = make([]uint64, n)
	for id := range in.ends {
		in.place(uint32(id), hashBytes(in.bytes(uint32(id))))
	}
}

// rebuild recomputes the table after arena and ends were loaded.
func (in *interner) rebuild() {
	n := 64
	for n < len(in.ends)*2+2 {
		n *= 2
	}
	in.table = make([]uint64, n)
	for id := range in.ends {
		in.place(uint32(id), hashBytes(in.bytes(uint32(id))))
	}
}
