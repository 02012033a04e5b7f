package index

// BulkWorker is what one worker of AddAll does for a story, for the
// benchmarks of the external test package (which can import synth):
// analysis from the worker's slab, then look-ups and signature under the
// read lock.
type BulkWorker struct {
	x       *Index
	idfs    []float64
	scratch []sigEntry
	sl      slab
}

func NewBulkWorker(x *Index) *BulkWorker { return &BulkWorker{x: x, idfs: make([]float64, 1<<14)} }

// Prepare analyses and resolves d.
func (w *BulkWorker) Prepare(d Doc) *Prepared {
	p := prepareIn(&w.x.cfg, d, &w.sl)
	w.x.mu.RLock()
	w.x.resolve(p, w.idfs, &w.scratch, &w.sl)
	w.x.mu.RUnlock()
	return p
}
