package index

import (
	"cmp"
	"math"
	"slices"
)

// vec is a story's signature as a unit tf × idf^¼ vector, sorted by term:
// what the neighbour re-ranking compares candidates by.
type vec []vterm

type vterm struct {
	tid uint32
	w   float64
}

// cosine is the dot product of two unit vectors (vecTable computes it
// for one vector against several at once; this is its reference).
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

// logTF[tf] is 1 + ln tf, a signature term's sublinear frequency.
var logTF = func() (t [sigTF + 1]float64) {
	for tf := range t {
		t[tf] = 1 + math.Log(float64(tf))
	}
	return t
}()

// appendDocVec appends indexed document d's signature vector to buf:
// its terms weighted by sublinear tf × idf^¼ (times nameW, if positive,
// for the words of its named entities), sorted, of unit length.
// The signature's terms are already the story's best by tf-idf, and
// among them, as in the query (Unit term weights), a story's common
// subject words say more about what it is like than its rarest ones
// (Reuters TRAIN, P@10 with idf in the weights 0.715, √idf 0.719, idf^¼
// 0.721, no idf 0.722; docs/benchmarks.md). The little idf left keeps
// stories that share only boilerplate from voting for one another
// (TestNearDuplicatesCollapse fails without it).
//
// Names count for little (nameW 0.1 in Full): two stories on one
// subject are alike whoever they name, and stories that name the same
// company or minister are not alike for it (Reuters TRAIN, with names
// at half weight in the query: P@10 0.728 with names counting in full
// here, 0.731 at 0.1; docs/benchmarks.md).
//
// Lede terms count ledeW times (if positive): the signature's terms that
// are in the story's first sentence are what it is about.
//
// idf remembers the idfs met (the vectors of one query's candidates
// share most of their terms).
func (x *Index) appendDocVec(buf vec, d uint32, nameW, ledeW float64, idf *idfMemo) vec {
	tids, tfs := x.signature(d)
	start := len(buf)
	sum := 0.0
	for i, tid := range tids {
		tf := tfs[i] & sigTF
		if tf == 0 || x.post[tid].n == 0 {
			continue
		}
		w := logTF[tf] * math.Sqrt(math.Sqrt(idf.of(x, max(x.df(tid), 1))))
		if tfs[i]&sigName != 0 && nameW > 0 {
			w *= nameW
		}
		if tfs[i]&sigLede != 0 && ledeW > 0 {
			w *= ledeW
		}
		buf = append(buf, vterm{tid, w})
		sum += w * w
	}
	v := buf[start:]
	sortVec(v)
	if sum > 0 {
		n := 1 / math.Sqrt(sum)
		for i := range v {
			v[i].w *= n
		}
	}
	return buf
}

// sortVec sorts v by term. A signature is a few dozen terms, which an
// insertion sort orders in less time than the general sort takes to call
// its comparison function; a longer one (a configured SignatureTerms)
// takes the general sort.
func sortVec(v vec) {
	if len(v) > 64 {
		slices.SortFunc(v, func(a, b vterm) int { return cmp.Compare(a.tid, b.tid) })
		return
	}
	for i := 1; i < len(v); i++ {
		t := v[i]
		j := i
		for ; j > 0 && v[j-1].tid > t.tid; j-- {
			v[j] = v[j-1]
		}
		v[j] = t
	}
}

// vecTable holds a few vectors (a query's best candidates) by term: for
// each term any of them has, its weight in each (0 where absent). The
// likeness of another vector to all of them is then one pass over its
// own terms, a probe each, where comparing it with each in turn walked
// both vectors' terms once per pair, a branch the processor cannot
// predict at every step. The dot products come out to the bit as
// cosine's: each adds its products in the order of the terms, and a
// term only one of the two has adds +0, which changes no sum of
// non-negative weights.
type vecTable struct {
	slots []int32   // open addressing by term: row+1, 0 for empty
	tids  []uint32  // by row
	w     []float64 // row*m + j: the row's term's weight in vector j
	m     int
	shift uint
}

// build fills the table with vs, which it does not keep.
func (t *vecTable) build(vs []vec) {
	n := 0
	for _, v := range vs {
		n += len(v)
	}
	size, shift := 64, uint(32-6)
	for size < 2*n {
		size, shift = size*2, shift-1
	}
	if cap(t.slots) < size {
		t.slots = make([]int32, size)
	}
	t.slots = t.slots[:size]
	clear(t.slots)
	t.tids, t.w, t.m, t.shift = t.tids[:0], t.w[:0], len(vs), shift
	mask := uint32(size - 1)
	for j, v := range vs {
		for _, e := range v {
			i := t.home(e.tid)
			for ; t.slots[i] != 0 && t.tids[t.slots[i]-1] != e.tid; i = (i + 1) & mask {
			}
			if t.slots[i] == 0 {
				t.tids = append(t.tids, e.tid)
				for range t.m {
					t.w = append(t.w, 0)
				}
				t.slots[i] = int32(len(t.tids))
			}
			t.w[int(t.slots[i]-1)*t.m+j] = e.w
		}
	}
}

func (t *vecTable) home(tid uint32) uint32 { return tid * 0x9e3779b1 >> t.shift }

// dots sets out[j] to the dot product of v with the table's vector j
// (out has room for them all).
func (t *vecTable) dots(v vec, out []float64) {
	m := t.m
	out = out[:m]
	clear(out)
	mask := uint32(len(t.slots) - 1)
	for _, e := range v {
		for i := t.home(e.tid); t.slots[i] != 0; i = (i + 1) & mask {
			r := int(t.slots[i] - 1)
			if t.tids[r] != e.tid {
				continue
			}
			for j, w := range t.w[r*m : r*m+m] {
				out[j] += e.w * w
			}
			break
		}
	}
}
