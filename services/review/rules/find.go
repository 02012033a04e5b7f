package rules

import (
	"iter"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// finder yields the matches of a pattern rule's expression, the same ones
// regexp's FindAllStringIndex returns, but much faster: Go's regexp tries
// the expression at every position of the text, at a cost of tens to
// hundreds of nanoseconds a byte for the packs' expressions (a 1 KB
// paragraph of wire copy took one rule 0.2 ms, five times the rest of the
// scan), while a match can start only at the few positions whose first two
// bytes the expression accepts ("vi", "Co", a capital then a small letter,
// two digits).
//
// So finder tries only those positions, each with an anchored copy of the
// expression, in text order, and goes on after each match, as regexp does.
// An anchored try at position i runs ^(?s:.)(?:expr) from the rune before
// i, so that \b and ^ at i see the same neighbour they see in the whole
// text; and it runs over the text only up to the first byte no match can
// contain (a letter for a phone number, a full stop for most), which keeps
// each try short without changing what it finds. A stretch up to such a
// byte that lacks what every match holds (the "@" of an e-mail address,
// the seven digits of a phone number: see need) gets no try at all.
// Expressions that can match without consuming anything, and text that is
// not valid UTF-8, take regexp's own search; so does the rest of a text
// once the tries have run over more than a few times its length (an
// expression that accepts nearly every byte, whose tries would each run
// to the end of the text).
type finder struct {
	re    *regexp.Regexp
	at0   *regexp.Regexp // ^(?:expr): a try at the start of the text
	at    *regexp.Regexp // ^(?s:.)(?:expr): a try after the first rune
	from  *regexp.Regexp // (?s:.)(?:expr): regexp's search after the first rune
	exact bool           // the tables below are usable
	// budget is how many times the text's length the tries may run over.
	budget int
	// first[c] for an ASCII byte c that may start a match: firstPair if
	// the next byte must be checked in pair, firstAny if any may follow.
	// Other bytes (multi-byte characters) always get a try.
	first [utf8.RuneSelf]uint8
	pair  [utf8.RuneSelf][2]uint64 // pair[c1] has bit c2: c1 c2 may start a match
	// stop[c]: no match contains the ASCII byte c.
	stop [utf8.RuneSelf]bool
	need need // what every match holds
}

const (
	firstNo = iota
	firstPair
	firstAny
)

// tryBudget, with 1 KB to spare: the shipped expressions' tries, which
// stop at a full stop, a letter or a space, never came near it over the
// stress corpus and the whole Reuters collection (at most five times the
// length of a short text, within the spare kilobyte).
const tryBudget = 8

func newFinder(re *regexp.Regexp) *finder {
	f := &finder{re: re}
	expr := re.String()
	at0, err0 := regexp.Compile(`^(?:` + expr + `)`)
	at, err1 := regexp.Compile(`^(?s:.)(?:` + expr + `)`)
	from, err2 := regexp.Compile(`(?s:.)(?:` + expr + `)`)
	parsed, err3 := syntax.Parse(expr, syntax.Perl)
	if err0 != nil || err1 != nil || err2 != nil || err3 != nil {
		return f
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return f
	}
	f.at0, f.at, f.from, f.budget = at0, at, from, tryBudget
	f.need = needOf(expr)
	f.exact = f.analyse(prog)
	return f
}

// analyse fills the tables from the compiled program, treating every
// empty-width assertion as passable, which can only add positions to try.
// It reports false if the program can reach a match without consuming.
func (f *finder) analyse(prog *syntax.Prog) bool {
	start := closure(prog, []uint32{uint32(prog.Start)})
	if start.match {
		return false
	}
	for c1 := rune(0); c1 < utf8.RuneSelf; c1++ {
		var outs []uint32
		for _, pc := range start.runes {
			if accepts(&prog.Inst[pc], c1) {
				outs = append(outs, prog.Inst[pc].Out)
			}
		}
		if len(outs) == 0 {
			continue
		}
		next := closure(prog, outs)
		if next.match {
			f.first[c1] = firstAny
			continue
		}
		f.first[c1] = firstPair
		for c2 := rune(0); c2 < utf8.RuneSelf; c2++ {
			for _, pc := range next.runes {
				if accepts(&prog.Inst[pc], c2) {
					f.pair[c1][c2/64] |= 1 << (c2 % 64)
					break
				}
			}
		}
	}
	for c := rune(0); c < utf8.RuneSelf; c++ {
		f.stop[c] = true
		for pc := range prog.Inst {
			if accepts(&prog.Inst[pc], c) {
				f.stop[c] = false
				break
			}
		}
	}
	return true
}

type reach struct {
	runes []uint32 // instructions that consume a rune
	match bool
}

// closure is every instruction reachable from pcs without consuming a rune.
func closure(prog *syntax.Prog, pcs []uint32) reach {
	var r reach
	seen := make([]bool, len(prog.Inst))
	stack := append([]uint32(nil), pcs...)
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pc] {
			continue
		}
		seen[pc] = true
		in := &prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, in.Out, in.Arg)
		case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
			stack = append(stack, in.Out)
		case syntax.InstMatch:
			r.match = true
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			r.runes = append(r.runes, pc)
		}
	}
	return r
}

// accepts reports whether instruction in consumes c, as regexp runs it.
func accepts(in *syntax.Inst, c rune) bool {
	switch in.Op {
	case syntax.InstRune:
		return in.MatchRune(c)
	case syntax.InstRune1:
		return c == in.Rune[0]
	case syntax.InstRuneAny:
		return true
	case syntax.InstRuneAnyNotNL:
		return c != '\n'
	}
	return false
}

// all yields the start and end of each match in text, as
// re.FindAllStringIndex(text, -1) would return them.
func (f *finder) all(text string) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		if !f.exact || !utf8.ValidString(text) {
			for _, m := range f.re.FindAllStringIndex(text, -1) {
				if !yield(m[0], m[1]) {
					return
				}
			}
			return
		}
		budget := f.budget*len(text) + 1024*min(f.budget, 1)
		for pos := 0; ; {
			s, e := f.next(text, pos, &budget)
			if s < 0 || !yield(s, e) {
				return
			}
			pos = e // matches are never empty
		}
	}
}

// next returns the leftmost match starting at or after pos, or -1, -1.
// Each try takes the bytes it may run over from budget.
func (f *finder) next(text string, pos int, budget *int) (int, int) {
	stop := -1 // the first byte at or after i that no match contains
	for i := pos; i < len(text); {
		if *budget < 0 {
			return f.search(text, i)
		}
		c := text[i]
		w := 1
		if c >= utf8.RuneSelf {
			_, w = utf8.DecodeRuneInString(text[i:])
		} else {
			switch f.first[c] {
			case firstNo:
				i++
				continue
			case firstPair:
				if i+1 >= len(text) {
					return -1, -1
				}
				if c2 := text[i+1]; c2 < utf8.RuneSelf && f.pair[c][c2/64]&(1<<(c2%64)) == 0 {
					i++
					continue
				}
			}
		}
		if stop < i {
			stop = i + 1
			for stop < len(text) && (text[stop] >= utf8.RuneSelf || !f.stop[text[stop]]) {
				stop++
			}
			if !f.need.holds(text[i:stop]) {
				// Every match from here to stop would lie in text[i:stop].
				i = stop
				continue
			}
		}
		// The byte at stop is in the text the try sees, for \b there.
		end := min(stop+1, len(text))
		*budget -= end - i
		if i == 0 {
			if m := f.at0.FindStringIndex(text[:end]); m != nil {
				return 0, m[1]
			}
		} else {
			_, pw := utf8.DecodeLastRuneInString(text[:i])
			if m := f.at.FindStringIndex(text[i-pw : end]); m != nil {
				return i, i - pw + m[1]
			}
		}
		i += w
	}
	return -1, -1
}

// search is regexp's own search for the leftmost match starting at or
// after pos, from the rune before pos so that \b and ^ see it.
func (f *finder) search(text string, pos int) (int, int) {
	if pos == 0 {
		if m := f.re.FindStringIndex(text); m != nil {
			return m[0], m[1]
		}
		return -1, -1
	}
	_, pw := utf8.DecodeLastRuneInString(text[:pos])
	m := f.from.FindStringIndex(text[pos-pw:])
	if m == nil {
		return -1, -1
	}
	s := pos - pw + m[0]
	_, w := utf8.DecodeRuneInString(text[s:])
	return s + w, pos - pw + m[1]
}
