package index

import (
	"slices"
	"sync"
)

// AddAll indexes docs 0 to n-1 (doc(i) returns the i-th), preparing them
// on workers goroutines and adding them in order: the bulk load of a
// rebuild or a benchmark. It works in batches of 2048 stories, and takes
// the lock a few times a batch, not once a story: a worker analyses a
// batch without the lock and looks its terms up under the read lock (256
// stories at a time whenever it finds the lock free, the rest at the end
// of the batch), and the adder adds a batch under one write lock. (Taken
// per story, the lock passed between the adder and the workers a
// thousand times a second, each writer waiting for the readers in
// flight.) A larger batch also gives each posting list more postings a
// visit (putBatch): at 2048 the adder took a fifth less CPU than at 512;
// 4096 gained nothing more.
//
// For the load it turns on the term table's prefixes (interner) and
// reserves the per-story slices for n stories; each worker takes its
// stories' small slices from a slab of its own, whose chunks are
// recycled from batch to batch (slabPool).
func (x *Index) AddAll(n int, doc func(i int) Doc, workers int) {
	const batch = 2048
	workers = max(workers, 1)
	x.mu.Lock()
	x.terms.usePrefixes()
	x.reserve(n)
	x.mu.Unlock()
	type job struct {
		seq  int
		out  []*Prepared
		used slabChunks // the slab's chunks the stories are in
	}
	pool := new(slabPool)
	jobs := make(chan int)
	done := make(chan job, workers)
	go func() {
		for b := 0; b*batch < n; b++ {
			jobs <- b
		}
		close(jobs)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			idfs := make([]float64, 1<<14)
			var scratch []sigEntry
			sl := slab{pool: pool}
			for b := range jobs {
				// Each batch takes chunks of its own, given back once
				// it is put (slabPool).
				sl.reset()
				lo, hi := b*batch, min(n, (b+1)*batch)
				out := make([]*Prepared, 0, hi-lo)
				resolved := 0
				resolve := func() {
					clear(idfs) // the number of stories may have changed
					for _, p := range out[resolved:] {
						x.resolve(p, idfs, &scratch, &sl)
					}
					x.mu.RUnlock()
					resolved = len(out)
				}
				for i := lo; i < hi; i++ {
					out = append(out, prepareIn(&x.cfg, doc(i), &sl))
					// Resolve what is prepared while the adder leaves the
					// lock free, rather than wait for it at the end of the
					// batch: the adder holds it about half the time, and two
					// workers waiting for it leave a core idle.
					if len(out)-resolved == resolveEvery && x.mu.TryRLock() {
						resolve()
					}
				}
				x.mu.RLock()
				resolve()
				done <- job{b, out, sl.used}
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	pending := map[int]job{}
	next, added := 0, 0
	var b postingBatch
	var before arenaLens
	for j := range done {
		pending[j.seq] = j
		for j, ok := pending[next]; ok; j, ok = pending[next] {
			delete(pending, next)
			ps := j.out
			x.mu.Lock()
			if next == 0 {
				before = x.arenaLens()
			}
			x.putBatch(ps, nil, nil, &b)
			added += len(ps)
			if next == 0 {
				x.reserveLike(before, len(ps), n-added)
			}
			x.mu.Unlock()
			pool.give(&j.used)
			next++
		}
	}
}

// arenaLens are the lengths of the index's arenas that grow with every
// story by an amount reserve cannot know beforehand.
type arenaLens struct{ meta, featA, sigT, sigF, ids int }

func (x *Index) arenaLens() arenaLens {
	return arenaLens{len(x.meta), len(x.featA), len(x.sigT), len(x.sigF), len(x.keys.arena)}
}

// reserveLike makes room in the arenas for n more stories like the last
// k, which took them from lengths a to what they are now, and a
// twentieth more: a bulk load's stories are much alike. Grown by
// append, the arenas (the signatures alone are 160 MB at a million
// stories) were copied whole each time they grew by a quarter, most of
// the adder's time after the postings, and were left up to a quarter
// empty. (The story ids' arena too.) The caller holds the write lock.
func (x *Index) reserveLike(a arenaLens, k, n int) {
	if k <= 0 || n <= 0 {
		return
	}
	more := func(now, was int) int { return (now - was) * n / k * 21 / 20 }
	x.meta = slices.Grow(x.meta, more(len(x.meta), a.meta))
	x.featA = slices.Grow(x.featA, more(len(x.featA), a.featA))
	x.sigT = slices.Grow(x.sigT, more(len(x.sigT), a.sigT))
	x.sigF = slices.Grow(x.sigF, more(len(x.sigF), a.sigF))
	x.keys.arena = slices.Grow(x.keys.arena, more(len(x.keys.arena), a.ids))
}

// resolveEvery is how many prepared stories an AddAll worker resolves at
// once if it finds the lock free: few enough that the adder, if it asks
// for the lock meanwhile, waits a millisecond or two; enough that the
// idf cache, cleared each time, is worth filling.
const resolveEvery = 256

// reserve makes room in the per-story slices for n more stories, so that
// a bulk load of a million does not copy them over and over as they grow
// (nor leave up to a quarter of each unused, as append's growth does).
// The caller holds the write lock.
func (x *Index) reserve(n int) {
	x.keys.reserve(n)
	x.keyDoc = slices.Grow(x.keyDoc, n)
	x.keySeq = slices.Grow(x.keySeq, n)
	x.dKey = slices.Grow(x.dKey, n)
	x.dPub = slices.Grow(x.dPub, n)
	x.dLen = slices.Grow(x.dLen, n)
	x.dSim = slices.Grow(x.dSim, n)
	x.dRev = slices.Grow(x.dRev, n)
	x.dMeta = slices.Grow(x.dMeta, n)
	x.dFeat = slices.Grow(x.dFeat, n)
	x.dSig = slices.Grow(x.dSig, n)
	x.dNT = slices.Grow(x.dNT, n)
	x.dead = slices.Grow(x.dead, (len(x.dKey)+n+63)/64-len(x.dead))
}

// PutAll is PutPrepared for stories in order, ps[i] as the change at
// sequence seqs[i], under one write lock and with AddAll's batched
// appending: what a replay of many changes does. It sets ok[i] as
// PutPrepared would return it.
func (x *Index) PutAll(ps []*Prepared, seqs []uint64, ok []bool) {
	var b postingBatch
	x.mu.Lock()
	defer x.mu.Unlock()
	x.putBatch(ps, seqs, ok, &b)
}

// putBatch puts stories one after another, as put does (ps[i] at
// sequence seqs[i], or 0 if seqs is nil; ok[i], if ok is not nil, says
// whether it applied), but appends the postings of a run of new stories
// (replacing none) term by term rather than story by story: each list is
// then reached once a batch, not once a story, and a list's header and
// last block stay in cache for all its postings of the batch. A list gets
// the same postings in the same order either way (by document number).
// The caller holds the write lock.
func (x *Index) putBatch(ps []*Prepared, seqs []uint64, ok []bool, b *postingBatch) {
	b.reset()
	for i, p := range ps {
		var seq uint64
		if seqs != nil {
			seq = seqs[i]
		}
		applied := true
		// The id is hashed and looked up once: a new story's key is
		// added with what the look-up found.
		id := p.doc.ID
		h := hashString(id)
		k, found := x.keys.find(id, h)
		if found && x.keyDoc[k] >= 0 {
			// It replaces a story, which it kills, which may compact
			// the lists: they must be complete by then.
			b.flush(x)
			applied = x.put(p, seq)
		} else {
			if !found {
				k = x.newKey(x.keys.add(id, h))
			}
			var doc uint32
			if doc, applied = x.placeAt(p, seq, k); applied {
				b.queue(doc, p)
			}
		}
		if ok != nil {
			ok[i] = applied
		}
	}
	b.flush(x)
	x.maybeCompact()
}

// postingBatch holds postings waiting to be appended: a key per posting,
// term id << 32 | story << 16 | term frequency, sorted by term id
// (stably: each term's postings stay in document order) before they are
// appended. Its slices are reused from batch to batch.
type postingBatch struct {
	keys, tmp []uint64
	docs      []uint32 // of the stories queued
	lens      []uint32
	maxTID    uint32
}

func (b *postingBatch) reset() {
	b.keys, b.docs, b.lens, b.maxTID = b.keys[:0], b.docs[:0], b.lens[:0], 0
}

func (b *postingBatch) queue(doc uint32, p *Prepared) {
	if len(b.docs) == 1<<16 {
		panic("index: posting batch too large")
	}
	s := uint64(len(b.docs)) << 16
	b.docs = append(b.docs, doc)
	b.lens = append(b.lens, p.length)
	for i, tid := range p.tids {
		b.keys = append(b.keys, uint64(tid)<<32|s|uint64(p.tfs[i]))
		b.maxTID = max(b.maxTID, tid)
	}
}

// flush appends the queued postings and empties the batch.
func (b *postingBatch) flush(x *Index) {
	if len(b.keys) == 0 {
		b.reset()
		return
	}
	b.sort()
	for _, k := range b.keys {
		s := uint32(k>>16) & 0xffff
		x.post[k>>32].add(b.docs[s], uint16(k), b.lens[s])
	}
	b.reset()
}

// sort orders the keys by term id (sortHigh: stable, as the order of
// postings within a term requires).
func (b *postingBatch) sort() {
	if cap(b.tmp) < len(b.keys) {
		b.tmp = make([]uint64, len(b.keys))
	}
	tmp := b.tmp[:len(b.keys)]
	if sorted := sortHigh(b.keys, tmp, b.maxTID); len(sorted) > 0 && &sorted[0] == &tmp[0] {
		// Keep both buffers for the next batch.
		b.keys, b.tmp = sorted, b.keys
	}
}
