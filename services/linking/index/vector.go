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
// idf remembers the idfs met (the vectors of one query's candidates
// share most of their terms).
func (x *Index) appendDocVec(buf vec, d uint32, nameW float64, idf *idfMemo) vec {
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
