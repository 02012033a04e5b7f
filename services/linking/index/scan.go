package index

// scan walks a posting list forward for a query, decoding one posting
// at a time: a query probes most lists at a few documents only, and
// decoding whole blocks to read one posting of each was most of its
// work. (cursor, which decodes a block at a time, serves the index's
// own passes over whole lists.)
type scan struct {
	l        *plist
	data     []byte // l.data
	blk      int
	nblk     int
	off, end int    // in data: the next posting, the end of the block
	last     uint32 // the block's last document
	doc      uint32 // current document, endDoc past the end
	tf       uint16
	// The query term's weight in choosing the pool, its score upper
	// bound, and its weight in the candidates' scores.
	w, ub, fw float64
}

func (c *scan) init(l *plist) {
	c.l, c.data = l, l.data
	c.nblk = l.blocks()
	c.load(0)
}

// load moves to the first posting of block b.
func (c *scan) load(b int) {
	c.blk = b
	if b >= c.nblk {
		c.doc, c.off, c.end, c.last = endDoc, 0, 0, endDoc
		return
	}
	l := c.l
	c.last = l.blockLast(b)
	c.off, c.doc = 0, 0
	if b > 0 {
		c.off, c.doc = int(l.skips[b-1].off), l.skips[b-1].last
	}
	c.end = len(l.data)
	if b < len(l.skips) {
		c.end = int(l.skips[b].off)
	}
	c.step()
}

// step decodes the posting at off.
func (c *scan) step() {
	data := c.data
	var v uint64
	if b := data[c.off]; b < 0x80 {
		v = uint64(b)
		c.off++
	} else {
		var k int
		v, k = uvarint(data[c.off:])
		c.off += k
	}
	c.doc += uint32(v >> 1)
	c.tf = 1
	if v&1 == 0 {
		t, k := uvarint(data[c.off:])
		c.off += k
		c.tf = uint16(t)
	}
}

// next moves to the next posting.
func (c *scan) next() {
	if c.off < c.end {
		c.step()
		return
	}
	c.load(c.blk + 1)
}

// seek moves to the first posting at or after target.
func (c *scan) seek(target uint32) {
	if c.doc >= target {
		return
	}
	if c.last < target {
		b := c.l.firstBlockFrom(c.blk+1, c.nblk, target)
		c.load(b)
		if b == c.nblk {
			return
		}
	}
	for c.doc < target {
		c.step()
	}
}
