package index

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// blockSize is the number of postings between two skip entries.
const blockSize = 128

// endDoc is a cursor's document past the end of its list.
const endDoc = math.MaxUint32

// plist is one term's posting list: for each story that has the term, in
// document-number order, varint(gap<<1 | tf==1), then varint(tf) when tf
// is not 1 (most are). Every blockSize postings a skip entry records where
// the next block starts and the last document before it, so a cursor can
// jump over blocks without decoding them.
type plist struct {
	data  []byte
	skips []skip // skips[i]: end of block i (last doc, offset of block i+1)
	n     uint32 // postings, dead documents' included
	last  uint32 // last document appended
	// Bounds for the term's BM25 upper bound: the largest term frequency
	// and the shortest story in the list (kept until compaction).
	maxTF uint16
	// lastTF is the frequency of the last document appended, 0 if not
	// known (a list loaded from a snapshot, which does not store it):
	// Backlinks scores the story just indexed, the last document of
	// each of its lists, against fifty queries, and finding its
	// frequency by decoding the list's last block was most of that
	// scoring. (It fits in the struct's padding.)
	lastTF uint16
	minLen uint32
}

type skip struct{ last, off uint32 }

const plistSize = int(unsafe.Sizeof(plist{}))

func (l *plist) add(doc uint32, tf uint16, length uint32) {
	if l.n > 0 && l.n%blockSize == 0 {
		l.skips = append(l.skips, skip{l.last, uint32(len(l.data))})
	}
	v := uint64(doc-l.last) << 1
	if tf == 1 {
		v |= 1
	}
	n := len(l.data)
	if cap(l.data)-n < 2*binaryMaxVarint {
		// Double small lists, but grow long ones by a quarter: a
		// million lists' slack is much of the memory.
		grow := n
		if grow > 256 {
			grow /= 4
		}
		nd := make([]byte, n, n+grow+2*binaryMaxVarint+6)
		copy(nd, l.data)
		l.data = nd
	}
	// Written in place, in the room made above (append checks the
	// capacity again for every byte).
	d := l.data[n : n+2*binaryMaxVarint]
	k := binary.PutUvarint(d, v)
	if tf != 1 {
		k += binary.PutUvarint(d[k:], uint64(tf))
	}
	l.data = l.data[:n+k]
	if l.n == 0 || tf > l.maxTF {
		l.maxTF = tf
	}
	if l.n == 0 || length < l.minLen {
		l.minLen = length
	}
	l.last = doc
	l.lastTF = tf
	l.n++
}

const binaryMaxVarint = 5

func (l *plist) blocks() int { return int((l.n + blockSize - 1) / blockSize) }

// blockLast is the last document of block b.
func (l *plist) blockLast(b int) uint32 {
	if b < len(l.skips) {
		return l.skips[b].last
	}
	return l.last
}

// firstBlockFrom returns the first of blocks from..n-1 whose last
// document is at least target, n if there is none: a gallop over the skip
// entries, then a binary search between. Both cursors seek with it.
func (l *plist) firstBlockFrom(from, n int, target uint32) int {
	lo, step := from, 1
	for lo < n && l.blockLast(lo) < target {
		lo += step
		step *= 2
	}
	lo = l.blockAtLeast(max(from, lo-step/2), min(lo, n-1), target)
	if lo >= n || l.blockLast(lo) < target {
		return n
	}
	return lo
}

// cursor walks a posting list a block at a time.
type cursor struct {
	l    *plist
	blk  int
	nblk int
	pos  int
	cnt  int
	doc  uint32 // current document, endDoc past the end
	docs [blockSize]uint32
	tfs  [blockSize]uint16
	// For queries: the term's weight and score upper bound.
	w, ub float64
}

func (c *cursor) init(l *plist) {
	c.l = l
	c.nblk = l.blocks()
	c.load(0)
}

func (c *cursor) tf() uint16 { return c.tfs[c.pos] }

// load decodes block b.
func (c *cursor) load(b int) {
	c.blk = b
	c.pos = 0
	if b >= c.nblk {
		c.doc, c.cnt = endDoc, 0
		return
	}
	l := c.l
	off, doc := 0, uint32(0)
	if b > 0 {
		off, doc = int(l.skips[b-1].off), l.skips[b-1].last
	}
	end := len(l.data)
	if b < len(l.skips) {
		end = int(l.skips[b].off)
	}
	data := l.data[off:end]
	n := 0
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
		tf := uint16(1)
		if v&1 == 0 {
			t, k := uvarint(data[p:])
			p += k
			tf = uint16(t)
		}
		c.docs[n], c.tfs[n] = doc, tf
		n++
	}
	c.cnt = n
	c.doc = c.docs[0]
}

// next moves to the next posting.
func (c *cursor) next() {
	c.pos++
	if c.pos < c.cnt {
		c.doc = c.docs[c.pos]
		return
	}
	c.load(c.blk + 1)
}

// seek moves to the first posting at or after target.
func (c *cursor) seek(target uint32) {
	if c.doc >= target {
		return
	}
	if c.l.blockLast(c.blk) < target {
		b := c.l.firstBlockFrom(c.blk+1, c.nblk, target)
		c.load(b)
		if b == c.nblk {
			return
		}
	}
	for c.docs[c.pos] < target {
		c.pos++
	}
	c.doc = c.docs[c.pos]
}

// tfOf returns the frequency of the list's term in document doc, 0 if doc
// does not have it.
func (l *plist) tfOf(doc uint32) uint16 {
	if l.n == 0 || doc > l.last {
		return 0
	}
	if doc == l.last && l.lastTF != 0 {
		return l.lastTF
	}
	lo := l.blockAtLeast(0, l.blocks()-1, doc)
	off, d := 0, uint32(0)
	if lo > 0 {
		off, d = int(l.skips[lo-1].off), l.skips[lo-1].last
	}
	end := len(l.data)
	if lo < len(l.skips) {
		end = int(l.skips[lo].off)
	}
	// Only the gaps are decoded on the way: the frequency of a posting
	// before doc is stepped over, not read (most postings are one byte,
	// their frequency 1, and a look-up decodes half a block).
	data := l.data[off:end]
	for p := 0; p < len(data); {
		v := uint64(data[p])
		if v < 0x80 {
			p++
		} else {
			var k int
			v, k = uvarint(data[p:])
			p += k
		}
		d += uint32(v >> 1)
		if d >= doc {
			switch {
			case d != doc:
				return 0
			case v&1 != 0:
				return 1
			}
			t, _ := uvarint(data[p:])
			return uint16(t)
		}
		if v&1 == 0 {
			for data[p] >= 0x80 {
				p++
			}
			p++
		}
	}
	return 0
}

// blockAtLeast is the first block in [lo, hi] whose last document is at
// least target, or hi if none is (a binary search: the blocks' last
// documents ascend).
func (l *plist) blockAtLeast(lo, hi int, target uint32) int {
	for lo < hi {
		m := (lo + hi) / 2
		if l.blockLast(m) < target {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
