package index

import (
	"encoding/binary"
	"slices"
	"unsafe"
)

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
// keeps a tag beside the id (the top 24 bits of its string's hash and its
// length), so a probe reads the arena (two more cache misses) only for a
// likely match.
//
// With prefixes on (usePrefixes; the terms of a bulk load), each slot also
// has the first 16 bytes of its string beside it in pre, and a string of
// at most 16 bytes, nearly every word, is found with no look at the arena
// at all: a look-up costs the one cache miss of its slot.
type interner struct {
	arena []byte
	ends  []uint32 // ends[id]: end of string id in arena; it starts at ends[id-1]
	table []uint64 // open addressing, linear probing: 0 empty, else tag<<32 | id+1
	pre   []uint64 // nil, or pre[2i], pre[2i+1]: prefix16 of the string in slot i
}

// tagOf is the upper half of a table slot for a string of n bytes with
// hash h.
func tagOf(h uint64, n int) uint64 { return h>>40<<40 | uint64(min(n, 255))<<32 }

const lowHalf = 1<<32 - 1

// prefixLen is how many bytes of a string pre keeps.
const prefixLen = 16

// prefix16 returns the first 16 bytes of s, little-endian, zero padded.
// It reads them a word at a time: for a string of 9 to 16 bytes, b is the
// last 8 bytes shifted down past those a has; of 4 to 7, a is the first 4
// and the last 4 (which may overlap: the same bytes either way).
func prefix16(s string) (a, b uint64) {
	n := len(s)
	switch {
	case n >= prefixLen:
		return le64(s, 0), le64(s, 8)
	case n > 8:
		return le64(s, 0), le64(s, n-8) >> (8 * (prefixLen - n))
	case n == 8:
		return le64(s, 0), 0
	case n >= 4:
		return uint64(le32(s, 0)) | uint64(le32(s, n-4))<<(8*(n-4)), 0
	}
	for i := n - 1; i >= 0; i-- {
		a = a<<8 | uint64(s[i])
	}
	return a, 0
}

// le64 is the 8 bytes of s at i, little-endian: one load, unaligned, on
// a little-endian machine. The caller checks that s has them.
func le64(s string, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i)), 8))
}

func le32(s string, i int) uint32 {
	return binary.LittleEndian.Uint32(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i)), 4))
}

func (in *interner) len() int { return len(in.ends) }

func (in *interner) bytes(id uint32) []byte {
	start := uint32(0)
	if id > 0 {
		start = in.ends[id-1]
	}
	return in.arena[start:in.ends[id]]
}

// view returns string id without copying it: an interner's bytes are
// never changed once written (the arena only grows, and a grown arena
// leaves the old one as it was), so the view stays right, but it keeps
// the arena it points into alive: for a look at the string, not to keep.
func (in *interner) view(id uint32) string {
	b := in.bytes(id)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// str returns a copy of string id, safe to keep.
func (in *interner) str(id uint32) string { return string(in.bytes(id)) }

func (in *interner) lookup(s string) (uint32, bool) { return in.find(s, hashString(s)) }

func (in *interner) find(s string, h uint64) (uint32, bool) {
	if len(in.table) == 0 {
		return 0, false
	}
	mask := uint64(len(in.table) - 1)
	tag := tagOf(h, len(s))
	short := in.pre != nil && len(s) <= prefixLen
	var a, b uint64
	if short {
		a, b = prefix16(s)
	}
	for i := h & mask; ; i = (i + 1) & mask {
		v := in.table[i]
		if v == 0 {
			return 0, false
		}
		if v&^lowHalf == tag {
			id := uint32(v) - 1
			if short {
				if in.pre[2*i] == a && in.pre[2*i+1] == b {
					return id, true
				}
			} else if string(in.bytes(id)) == s {
				return id, true
			}
		}
	}
}

// unresolved marks, in findAll, a look-up its first pass could not settle.
const unresolved = noTerm - 1

// findAll looks up ss[i] (whose hash is hs[i]) for every i, setting
// ids[i] to its id or to noTerm. It finds the same ids as find, but in
// passes whose loads do not depend on one another, so the processor has
// many cache misses in flight at once, where find, one string at a time,
// waits for its table slot, then its end offset, then its bytes: in a
// large table those misses are most of a look-up's time.
// It returns a byte of the loads' so that none is optimised away.
func (in *interner) findAll(ss []string, hs []uint64, ids []uint32) byte {
	if len(in.table) == 0 {
		for i := range ids {
			ids[i] = noTerm
		}
		return 0
	}
	if in.pre != nil {
		in.findAllPrefixed(ss, hs, ids)
		return 0
	}
	// The first pass reads every string's home slot, the second the
	// arena of each likely match, the third probes as find does.
	mask := uint64(len(in.table) - 1)
	for i, h := range hs {
		// The id+1 of the home slot, if its tag matches: 0 if none.
		if v := in.table[h&mask]; v&^lowHalf == tagOf(h, len(ss[i])) {
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

// findAllPrefixed is findAll with prefixes on. For each chunk of strings
// it loads their home slots and prefixes first, into arrays on the stack
// (nothing branches on a value loaded, so the loads all go out at once);
// then a string found at its home slot, or whose home slot is empty, is
// settled, and the rest (displaced by a collision, or longer than a
// prefix) are probed as find does.
func (in *interner) findAllPrefixed(ss []string, hs []uint64, ids []uint32) {
	const chunk = 64
	var vs, pa, pb [chunk]uint64
	mask := uint64(len(in.table) - 1)
	for lo := 0; lo < len(ss); lo += chunk {
		n := min(chunk, len(ss)-lo)
		for k := range n {
			j := hs[lo+k] & mask
			vs[k], pa[k], pb[k] = in.table[j], in.pre[2*j], in.pre[2*j+1]
		}
		for k := range n {
			i := lo + k
			v, s := vs[k], ss[i]
			switch {
			case v == 0:
				ids[i] = noTerm
			case len(s) <= prefixLen && v&^lowHalf == tagOf(hs[i], len(s)):
				if a, b := prefix16(s); a == pa[k] && b == pb[k] {
					ids[i] = uint32(v) - 1
				} else {
					ids[i] = unresolved
				}
			default:
				ids[i] = unresolved
			}
		}
	}
	for i, id := range ids {
		if id != unresolved {
			continue
		}
		if id, ok := in.find(ss[i], hs[i]); ok {
			ids[i] = id
		} else {
			ids[i] = noTerm
		}
	}
}

// intern returns the id of s (whose hash is h), adding it if new.
func (in *interner) intern(s string, h uint64) uint32 {
	if id, ok := in.find(s, h); ok {
		return id
	}
	return in.add(s, h)
}

// add adds s (whose hash is h), which the caller found missing, and
// returns its id.
func (in *interner) add(s string, h uint64) uint32 {
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
	b := in.bytes(id)
	in.table[i] = tagOf(h, len(b)) | uint64(id+1)
	if in.pre != nil {
		in.pre[2*i], in.pre[2*i+1] = prefix16(unsafe.String(unsafe.SliceData(b), len(b)))
	}
}

func (in *interner) grow() { in.resize(max(64, len(in.table)*2)) }

// reserve makes room for n more strings, so that adding them does not
// grow the table: a bulk load of a million story ids would otherwise
// place every id again at each of a dozen doublings, a cache miss each.
// The table ends the size it would have grown to.
func (in *interner) reserve(n int) {
	size := max(64, len(in.table))
	for (len(in.ends)+n)*2 > size {
		size *= 2
	}
	if size > len(in.table) {
		in.resize(size)
	}
	in.ends = slices.Grow(in.ends, n)
}

// rebuild recomputes the table after arena and ends were loaded.
func (in *interner) rebuild() {
	n := 64
	for n < len(in.ends)*2+2 {
		n *= 2
	}
	in.resize(n)
}

// resize makes a table of n slots (and their prefixes, if on) and places
// every string in it again.
func (in *interner) resize(n int) {
	in.resizeTo(n, in.pre != nil)
}

func (in *interner) resizeTo(n int, prefixes bool) {
	in.table = make([]uint64, n)
	in.pre = nil
	if prefixes {
		in.pre = make([]uint64, 2*n)
	}
	for id := range in.ends {
		in.place(uint32(id), hashBytes(in.bytes(uint32(id))))
	}
}

// usePrefixes turns prefixes on: a bulk load looks up every term of a
// million stories. They cost 16 bytes a slot, 8 MB for the terms of a
// million stories.
func (in *interner) usePrefixes() {
	if in.pre == nil {
		in.resizeTo(max(64, len(in.table)), true)
	}
}
