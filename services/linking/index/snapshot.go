package index

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// snapshotMagic starts a snapshot; its last byte is the format version
// (2: signature bytes carry a name bit; 3: common news words are no
// terms and numbers fill signatures last, so a format 2 snapshot's terms
// and signatures are not what this version would index: it is rebuilt;
// and the body's lede counts twice, its signature terms carry a lede
// bit, and the configuration holds the lede's words and weight).
var snapshotMagic = [8]byte{'N', 'R', 'L', 'I', 'D', 'X', 0, 3}

// ErrSnapshotFormat is returned for a snapshot this version cannot read.
var ErrSnapshotFormat = errors.New("index: not a snapshot of this format")

// WriteSnapshot writes the whole index to w, in a form ReadSnapshot loads
// far faster than the stories can be indexed again: the index's slices as
// they are in memory. It holds the read lock while it writes, so writes
// to w should be fast (a file, not the network).
func (x *Index) WriteSnapshot(w io.Writer) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	bw := bufio.NewWriterSize(w, 1<<20)
	e := &encoder{w: bw}
	e.raw(snapshotMagic[:])
	c := x.cfg
	stem := uint32(0)
	if c.Stem {
		stem = 1
	}
	e.u32s([]uint32{uint32(c.HeadlineWeight), uint32(c.DekWeight), uint32(c.SummaryWeight), uint32(c.BodyWeight), uint32(c.TagWeight), stem, uint32(c.SignatureTerms), uint32(c.LedeWords), uint32(c.LedeWeight)})
	for _, in := range []*interner{&x.terms, &x.feats, &x.keys} {
		e.bytes(in.arena)
		e.u32s(in.ends)
	}
	// Posting lists: their fixed fields, then all their data end to end.
	n := len(x.post)
	fixed := make([]uint32, 0, 6*n)
	var data, skips int
	for i := range x.post {
		l := &x.post[i]
		fixed = append(fixed, l.n, l.last, uint32(l.maxTF), l.minLen, uint32(len(l.data)), uint32(len(l.skips)))
		data += len(l.data)
		skips += len(l.skips)
	}
	e.u32s(fixed)
	e.u64(uint64(data))
	for i := range x.post {
		e.raw(x.post[i].data)
	}
	sk := make([]uint32, 0, 2*skips)
	for i := range x.post {
		for _, s := range x.post[i].skips {
			sk = append(sk, s.last, s.off)
		}
	}
	e.u32s(sk)
	e.u32s(x.featDF)
	e.i32s(x.keyDoc)
	e.u64s(x.keySeq)
	e.u32s(x.dKey)
	e.i64s(x.dPub)
	e.u32s(x.dLen)
	e.u64s(x.dSim)
	e.i64s(x.dRev)
	e.u32s(x.dMeta)
	e.u32s(x.dFeat)
	e.u32s(x.dSig)
	e.u32s(x.dNT)
	e.u64s(x.dead)
	e.bytes(x.meta)
	e.u32s(x.featA)
	e.u32s(x.sigT)
	e.bytes(x.sigF)
	e.u64s([]uint64{uint64(x.live), x.totalLen, x.postings, x.deadPostings})
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

// ReadSnapshot loads an index that WriteSnapshot wrote.
func ReadSnapshot(r io.Reader) (*Index, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 1<<20)}
	var magic [8]byte
	d.raw(magic[:])
	if d.err != nil || magic != snapshotMagic {
		return nil, ErrSnapshotFormat
	}
	c := d.u32s()
	if d.err != nil || len(c) != 9 {
		return nil, ErrSnapshotFormat
	}
	x := NewWith(Config{HeadlineWeight: int(c[0]), DekWeight: int(c[1]), SummaryWeight: int(c[2]), BodyWeight: int(c[3]), TagWeight: int(c[4]), Stem: c[5] == 1, SignatureTerms: int(c[6]), LedeWords: int(c[7]), LedeWeight: int(c[8])})
	for _, in := range []*interner{&x.terms, &x.feats, &x.keys} {
		in.arena = d.bytes()
		in.ends = d.u32s()
	}
	fixed := d.u32s()
	if len(fixed)%6 != 0 {
		return nil, ErrSnapshotFormat
	}
	data := make([]byte, d.u64())
	d.raw(data)
	sk := d.u32s()
	if d.err != nil {
		return nil, fmt.Errorf("index: read snapshot: %w", d.err)
	}
	x.post = make([]plist, len(fixed)/6)
	var do, so int
	for i := range x.post {
		f := fixed[6*i : 6*i+6]
		l := &x.post[i]
		l.n, l.last, l.maxTF, l.minLen = f[0], f[1], uint16(f[2]), f[3]
		nd, ns := int(f[4]), int(f[5])
		if do+nd > len(data) || 2*(so+ns) > len(sk) {
			return nil, ErrSnapshotFormat
		}
		// Full slice expressions: a list that grows gets its own array.
		l.data = data[do : do+nd : do+nd]
		do += nd
		if ns > 0 {
			l.skips = make([]skip, ns)
			for k := range ns {
				l.skips[k] = skip{sk[2*(so+k)], sk[2*(so+k)+1]}
			}
		}
		so += ns
	}
	x.featDF = d.u32s()
	x.keyDoc = d.i32s()
	x.keySeq = d.u64s()
	x.dKey = d.u32s()
	x.dPub = d.i64s()
	x.dLen = d.u32s()
	x.dSim = d.u64s()
	x.dRev = d.i64s()
	x.dMeta = d.u32s()
	x.dFeat = d.u32s()
	x.dSig = d.u32s()
	x.dNT = d.u32s()
	x.dead = d.u64s()
	x.meta = d.bytes()
	x.featA = d.u32s()
	x.sigT = d.u32s()
	x.sigF = d.bytes()
	tail := d.u64s()
	if d.err != nil {
		return nil, fmt.Errorf("index: read snapshot: %w", d.err)
	}
	if len(tail) != 4 || len(x.keySeq) != len(x.keyDoc) || len(x.keyDoc) != x.keys.len() || len(x.dPub) != len(x.dKey) {
		return nil, ErrSnapshotFormat
	}
	x.live, x.totalLen, x.postings, x.deadPostings = int(tail[0]), tail[1], tail[2], tail[3]
	for _, in := range []*interner{&x.terms, &x.feats, &x.keys} {
		in.rebuild()
	}
	for tid := range uint32(x.terms.len()) {
		x.markDigits(tid, x.terms.view(tid))
	}
	return x, nil
}

type encoder struct {
	w   *bufio.Writer
	err error
	buf []byte
}

func (e *encoder) raw(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) u64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	e.raw(b[:])
}

func (e *encoder) bytes(b []byte) {
	e.u64(uint64(len(b)))
	e.raw(b)
}

// chunk encodes n values of size bytes each through put, a chunk at a time.
func (e *encoder) chunk(n, size int, put func(b []byte, i int)) {
	e.u64(uint64(n))
	const per = 8192
	if cap(e.buf) < per*8 {
		e.buf = make([]byte, per*8)
	}
	for i := 0; i < n; i += per {
		m := min(per, n-i)
		b := e.buf[:m*size]
		for k := range m {
			put(b[k*size:], i+k)
		}
		e.raw(b)
	}
}

func (e *encoder) u32s(v []uint32) {
	e.chunk(len(v), 4, func(b []byte, i int) { binary.LittleEndian.PutUint32(b, v[i]) })
}

func (e *encoder) i32s(v []int32) {
	e.chunk(len(v), 4, func(b []byte, i int) { binary.LittleEndian.PutUint32(b, uint32(v[i])) })
}

func (e *encoder) u64s(v []uint64) {
	e.chunk(len(v), 8, func(b []byte, i int) { binary.LittleEndian.PutUint64(b, v[i]) })
}

func (e *encoder) i64s(v []int64) {
	e.chunk(len(v), 8, func(b []byte, i int) { binary.LittleEndian.PutUint64(b, uint64(v[i])) })
}

type decoder struct {
	r   *bufio.Reader
	err error
	buf []byte
}

func (d *decoder) raw(b []byte) {
	if d.err == nil {
		_, d.err = io.ReadFull(d.r, b)
	}
}

func (d *decoder) u64() uint64 {
	var b [8]byte
	d.raw(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// count reads a length, refusing one that cannot be right.
func (d *decoder) count() int {
	n := d.u64()
	if d.err == nil && n > 1<<34 {
		d.err = ErrSnapshotFormat
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	b := make([]byte, d.count())
	d.raw(b)
	return b
}

func (d *decoder) chunk(n, size int, get func(b []byte, i int)) {
	const per = 8192
	if cap(d.buf) < per*8 {
		d.buf = make([]byte, per*8)
	}
	for i := 0; i < n && d.err == nil; i += per {
		m := min(per, n-i)
		b := d.buf[:m*size]
		d.raw(b)
		if d.err != nil {
			return
		}
		for k := range m {
			get(b[k*size:], i+k)
		}
	}
}

func (d *decoder) u32s() []uint32 {
	v := make([]uint32, d.count())
	d.chunk(len(v), 4, func(b []byte, i int) { v[i] = binary.LittleEndian.Uint32(b) })
	return v
}

func (d *decoder) i32s() []int32 {
	v := make([]int32, d.count())
	d.chunk(len(v), 4, func(b []byte, i int) { v[i] = int32(binary.LittleEndian.Uint32(b)) })
	return v
}

func (d *decoder) u64s() []uint64 {
	v := make([]uint64, d.count())
	d.chunk(len(v), 8, func(b []byte, i int) { v[i] = binary.LittleEndian.Uint64(b) })
	return v
}

func (d *decoder) i64s() []int64 {
	v := make([]int64, d.count())
	d.chunk(len(v), 8, func(b []byte, i int) { v[i] = int64(binary.LittleEndian.Uint64(b)) })
	return v
}
