package rules

import (
	"strings"
	"unicode/utf8"
)

// The automaton's symbols: 0 is any byte no term contains (it sends the
// automaton back to its root), 1 a gap between words, 2 an apostrophe;
// every other byte a term uses gets a symbol of its own, upper-case ASCII
// letters sharing their lower-case letter's.
const (
	symBreak = 0
	symGap   = 1
	symApos  = 2
)

// spaceBit marks the table entry of a space: the plain path feeds it as a
// gap unless the previous symbol was one. Only ASCII bytes take the plain
// path, and their symbols are all below it.
const spaceBit = 0x80

// outFlag marks a transition into a state where some term ends.
const outFlag = 1 << 31

// symbolOrder is the order symbols are given to the letters and digits
// terms use: English letter frequency, then the digits.
const symbolOrder = "etaoinsrhldcumfpgwybvkxjqz0123456789"

// ringSize bounds how far back the scan remembers where each symbol
// started; it must exceed maxTermBytes.
const ringSize = 256

// automaton is an Aho–Corasick automaton over every term of every rule,
// with the failure links folded into a dense transition table, so the scan
// does one table load per byte of text.
type automaton struct {
	nsym int
	cls  [256]uint8 // byte of text → symbol
	// tab is cls with byteKind above kindShift: one load tells a plain
	// byte's symbol from a byte the scan must look at.
	tab [256]uint16
	// delta[s+sym] is the next state, premultiplied by nsym so that it can
	// be added to the next symbol directly; outFlag is set when the next
	// state has outputs.
	delta []uint32
	// The terms ending in state s (by unmultiplied id) are
	// outs[outAt[s]:outAt[s+1]], including those reached by failure links.
	outAt []int32
	outs  []int32
	plen  []int32 // term id → length in symbols (bytes of its matching form)
}

// States returns the number of states, for benchmarks and docs.
func (a *automaton) States() int { return len(a.outAt) - 1 }

func buildAutomaton(terms []string) *automaton {
	a := &automaton{nsym: 3}
	var sym [256]int
	sym[' '], sym['\''] = symGap, symApos
	// ASCII bytes get their symbols before the others, so every ASCII
	// byte's symbol is below 0x80 and cannot be mistaken for spaceBit.
	total := 1
	var used [256]bool
	for _, t := range terms {
		total += len(t)
		for i := 0; i < len(t); i++ {
			used[t[i]] = true
		}
	}
	// The commonest letters first, so that the transitions the scan takes
	// most often from a state lie close together in its 196-byte row and
	// span fewer cache lines (about 8% less time again for a scan that finds
	// the table out of cache); then the other bytes in byte order.
	for _, c := range []byte(symbolOrder) {
		if used[c] && sym[c] == 0 {
			sym[c] = a.nsym
			a.nsym++
		}
	}
	for c := range used {
		if used[c] && sym[c] == 0 {
			sym[c] = a.nsym
			a.nsym++
		}
	}
	for c := 0; c < 256; c++ {
		s := sym[c]
		if c >= 'A' && c <= 'Z' {
			s = sym[c+'a'-'A']
		}
		if c == ' ' {
			s = symBreak // gaps are fed by the scan loop, not by class
		}
		a.cls[c] = uint8(s)
	}
	a.cls['\''] = symApos
	for c := 0; c < 256; c++ {
		k := byteKind[c]
		a.tab[c] = uint16(a.cls[c])
		if k != bPlain {
			a.tab[c] |= uint16(k) << 8
		}
		if c == ' ' {
			// The commonest gap takes the plain path, marked so that a run
			// of spaces feeds one gap.
			a.tab[c] = symGap | spaceBit
		}
	}
	n := a.nsym

	// The trie: child ids are never 0, so 0 means no child.
	next := make([]int32, total*n)
	ends := make([][]int32, 1, total)
	a.plen = make([]int32, len(terms))
	states := 1
	for id, t := range terms {
		s := 0
		for i := 0; i < len(t); i++ {
			k := s*n + sym[t[i]]
			if next[k] == 0 {
				next[k] = int32(states)
				states++
				ends = append(ends, nil)
			}
			s = int(next[k])
		}
		ends[s] = append(ends[s], int32(id))
		a.plen[id] = int32(len(t))
	}
	next = next[:states*n]

	// Breadth first: a state's failure target is shallower, so its row is
	// complete by the time the state's own missing transitions copy it.
	fail := make([]int32, states)
	outs := make([][]int32, states)
	queue := make([]int32, 0, states)
	for c := 1; c < n; c++ {
		if ch := next[c]; ch != 0 {
			queue = append(queue, ch)
		}
	}
	// order lists the states breadth first, as they leave the queue.
	order := make([]int32, 1, states)
	for len(queue) > 0 {
		s := int(queue[0])
		queue = queue[1:]
		order = append(order, int32(s))
		outs[s] = append(append([]int32(nil), ends[s]...), outs[fail[s]]...)
		for c := 1; c < n; c++ {
			k := s*n + c
			if ch := next[k]; ch != 0 {
				fail[ch] = next[int(fail[s])*n+c]
				queue = append(queue, ch)
			} else {
				next[k] = next[int(fail[s])*n+c]
			}
		}
	}
	// Number the states breadth first, so that the shallow states, where
	// the scan spends most of its time, share the table's first pages
	// instead of being strewn across all of it: a scan that finds the table
	// out of cache (BenchmarkColdScan) takes about 10% less time.
	id := make([]int32, states)
	for k, s := range order {
		id[s] = int32(k)
	}
	a.outAt = make([]int32, states+1)
	for k, s := range order {
		a.outAt[k+1] = a.outAt[k] + int32(len(outs[s]))
		a.outs = append(a.outs, outs[s]...)
	}
	a.delta = make([]uint32, len(next))
	for k, s := range order {
		row, dst := next[int(s)*n:int(s+1)*n], a.delta[k*n:(k+1)*n]
		for c, t := range row {
			v := uint32(id[t]) * uint32(n)
			if len(outs[t]) > 0 {
				v |= outFlag
			}
			dst[c] = v
		}
	}
	return a
}

// hit is a term matched at word boundaries in field f: bytes [start, end).
type hit struct {
	term       int32
	field      int32
	start, end int32
}

// Mark kinds: where sentences, paragraphs and quotations start and end.
const (
	markSentence   = iota + 1 // a sentence ends at pos
	markParagraph             // a paragraph (and sentence) ends at pos
	markQuote                 // " at pos
	markOpenCurly             // “
	markCloseCurly            // ”
	markOpenGuil              // «
	markCloseGuil             // »
)

type mark struct {
	pos  int32
	kind uint8
}

// chain is the state of one pass of the automaton over a stretch of text.
type chain struct {
	s, fed  uint32 // state (premultiplied) and symbols fed so far
	prevGap bool
	ascii   bool
	ring    *[ringSize]int32 // where each of the last symbols started
	marks   *[]mark
}

// scan runs the Aho–Corasick automaton over one field, appending the terms
// it matched at word boundaries to sc.hits and the sentence, paragraph and
// quotation marks it passed to sc.marks. Link targets and bare URLs are
// skipped. It reports whether the text was all ASCII.
//
// Each byte costs a transition whose address depends on the previous one,
// so the loop is bound by memory latency: plain bytes (ASCII letters,
// digits, punctuation and single spaces) take a short inline path of two
// table loads; everything else goes through step. (Running two halves of
// a long field as interleaved chains, to overlap their loads, measured no
// faster: the extra live state spills out of registers.)
func (a *automaton) scan(sc *scratch, field int32, t string) (ascii bool) {
	ch := chain{prevGap: true, ascii: true, ring: &sc.ring, marks: &sc.marks}
	a.run(sc, &ch, field, t, 0, len(t))
	return ch.ascii
}

// run feeds t[i:end] to one chain.
func (a *automaton) run(sc *scratch, ch *chain, field int32, t string, i, end int) {
	delta, tab, n := a.delta, &a.tab, uint32(a.nsym)
	s, fed, prevGap, ring := ch.s, ch.fed, ch.prevGap, ch.ring
	for i < end {
		e := tab[t[i]]
		if e >= kindShift {
			ch.s, ch.fed, ch.prevGap = s, fed, prevGap
			i = a.step(sc, ch, field, t, i)
			s, fed, prevGap = ch.s, ch.fed, ch.prevGap
			continue
		}
		space := e&spaceBit != 0
		if space && prevGap {
			i++
			continue
		}
		prevGap = space
		d := delta[s+uint32(e&^spaceBit)]
		s = d &^ outFlag
		fed++
		ring[fed%ringSize] = int32(i)
		i++
		// A term that ends inside a word ("war" in "warrant") is no hit:
		// rightBoundary's commonest case is checked here, saving the call.
		if d&outFlag != 0 && (i >= len(t) || t[i] >= utf8.RuneSelf || !asciiWord[t[i]]) {
			if skip := a.report(sc, ring, field, t, s/n, fed, i); skip > 0 {
				ch.ascii = ch.ascii && isASCII(t[i:skip])
				i, s, prevGap = skip, 0, true
			}
		}
	}
	ch.s, ch.fed, ch.prevGap = s, fed, prevGap
}

// step handles the byte at i that is not a plain one for chain ch: gaps,
// line breaks, stops, quotes, link targets and multi-byte characters. It
// returns where the chain goes on.
func (a *automaton) step(sc *scratch, ch *chain, field int32, t string, i int) int {
	e := a.tab[t[i]]
	c := t[i]
	sym := uint32(e & 0xff)
	w := 1
	switch e >> 8 {
	case bGap:
		if ch.prevGap {
			return i + 1
		}
		sym = symGap
	case bNewline:
		if blockBreak(t, i) {
			*ch.marks = append(*ch.marks, mark{int32(i + 1), markParagraph})
			ch.s, ch.prevGap = 0, true
			return i + 1
		}
		if ch.prevGap {
			return i + 1
		}
		sym = symGap
	case bStop:
		if end, ok := sentenceEnd(t, i); ok {
			*ch.marks = append(*ch.marks, mark{int32(end), markSentence})
		}
	case bQuote:
		*ch.marks = append(*ch.marks, mark{int32(i), markQuote})
	case bBracket:
		if end := linkTarget(t, i); end > 0 {
			ch.ascii = ch.ascii && isASCII(t[i:end])
			ch.s, ch.prevGap = 0, true
			return end
		}
	case bHigh:
		ch.ascii = false
		if c == 0xC2 || c == 0xCA || c == 0xE2 {
			sym, w = a.special(ch.marks, t, i)
			if sym == symGap && ch.prevGap {
				return i + w
			}
		}
	}
	ch.prevGap = sym == symGap
	d := a.delta[ch.s+sym]
	ch.s = d &^ outFlag
	ch.fed++
	ch.ring[ch.fed%ringSize] = int32(i)
	i += w
	if d&outFlag != 0 {
		if skip := a.report(sc, ch.ring, field, t, ch.s/uint32(a.nsym), ch.fed, i); skip > 0 {
			ch.ascii = ch.ascii && isASCII(t[i:skip])
			ch.s, ch.prevGap = 0, true
			return skip
		}
	}
	return i
}

// special handles a byte that may start a character the scan treats
// specially: typographic apostrophes, non-breaking hyphens and spaces,
// curly and angle quotes, the ellipsis. It returns the symbol to feed and
// the character's width.
func (a *automaton) special(marks *[]mark, t string, i int) (uint32, int) {
	switch t[i] {
	case 0xE2:
		if i+2 < len(t) && t[i+1] == 0x80 {
			switch t[i+2] {
			case 0x99: // ’
				return symApos, 3
			case 0x90, 0x91: // ‐ ‑
				return symGap, 3
			case 0x9C: // “
				*marks = append(*marks, mark{int32(i), markOpenCurly})
				return symBreak, 3
			case 0x9D: // ”
				*marks = append(*marks, mark{int32(i), markCloseCurly})
				return symBreak, 3
			case 0xA6: // …
				*marks = append(*marks, mark{int32(i + 3), markSentence})
				return symBreak, 3
			}
		}
	case 0xC2:
		if i+1 < len(t) {
			switch t[i+1] {
			case 0xA0: // no-break space
				return symGap, 2
			case 0xAB: // «
				*marks = append(*marks, mark{int32(i), markOpenGuil})
				return symBreak, 2
			case 0xBB: // »
				*marks = append(*marks, mark{int32(i), markCloseGuil})
				return symBreak, 2
			}
		}
	case 0xCA:
		if i+1 < len(t) && t[i+1] == 0xBC { // ʼ
			return symApos, 2
		}
	}
	return uint32(a.cls[t[i]]), 1
}

// report records the terms ending at byte end whose match starts and ends
// at word boundaries. A match of the built-in URL terms returns where the
// URL ends, so the scan can skip it.
func (a *automaton) report(sc *scratch, ring *[ringSize]int32, field int32, t string, state, fed uint32, end int) int {
	if !rightBoundary(t, end) {
		return 0
	}
	for _, id := range a.outs[a.outAt[state]:a.outAt[state+1]] {
		start := int(ring[(fed-uint32(a.plen[id])+1)%ringSize])
		if !leftBoundary(t, start) {
			continue
		}
		if id < numURLTerms {
			if strings.HasPrefix(t[end:], "://") {
				return urlEnd(t, start)
			}
			continue
		}
		sc.hits = append(sc.hits, hit{term: id, field: field, start: int32(start), end: int32(end)})
	}
	return 0
}
