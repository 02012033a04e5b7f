package index

import (
	"cmp"
	"math"
	"slices"
)

// vec is a story's signature as a unit tf-idf vector, sorted by term:
// what the neighbour re-ranking compares candidates by.
type vec []vterm

type vterm struct {
	tid uint32
	w   float64
}

// cosine is the dot product of two unit vectors.
func (a vec) cosine(b vec) float64 {
	s, i, j := 0.0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].tid < b[j].tid:
			i++
		case a[i].tid > b[j].tid:
			j++
		default:
			s += a[i].w * b[j].w
			i++
			j++
		}
	}
	return s
}

// appendDocVec appends indexed document d's signature vector to buf:
// its terms weighted by sublinear tf × idf, sorted, of unit length.
func (x *Index) appendDocVec(buf vec, d uint32) vec {
	tids, tfs := x.signature(d)
	start := len(buf)
	sum := 0.0
	for i, tid := range tids {
		if tfs[i] == 0 || x.post[tid].n == 0 {
			continue
		}
		w := (1 + math.Log(float64(tfs[i]))) * x.idf(max(x.df(tid), 1))
		buf = append(buf, vterm{tid, w})
		sum += w * w
	}
	v := buf[start:]
	slices.SortFunc(v, func(a, b vterm) int { return cmp.Compare(a.tid, b.tid) })
	if sum > 0 {
		n := 1 / math.Sqrt(sum)
		for i := range v {
			v[i].w *= n
		}
	}
	return buf
}
