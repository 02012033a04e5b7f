package index

import "math/bits"

// sortHigh sorts e by the top 32 bits of each entry (none above last),
// stably, so entries with the same top half stay in the order they were
// appended: a least-significant-digit radix sort, 11 bits a pass, as many
// passes as last needs, using tmp (as long as e). It returns e or tmp,
// whichever holds the result. The merge sorts postings by story with it,
// the bulk build a batch's postings by term.
func sortHigh(e, tmp []uint64, last uint32) []uint64 {
	const digit = 11
	var count [1 << digit]int
	for shift := 32; shift < 32+bits.Len32(last); shift += digit {
		clear(count[:])
		for _, v := range e {
			count[v>>shift&(1<<digit-1)]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, v := range e {
			b := v >> shift & (1<<digit - 1)
			tmp[count[b]] = v
			count[b]++
		}
		e, tmp = tmp, e
	}
	return e
}
