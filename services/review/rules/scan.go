package rules

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Field is one piece of an article's text. Name is what a span reports
// ("body", "takeaways[2].quote"); Base is the field rules select on
// ("takeaways").
type Field struct {
	Name string
	Base string
	Text string
}

// Finding is everything one rule matched in an article: each match is a
// span, and spans may lie in different fields.
type Finding struct {
	// ID is deterministic: see FlagID.
	ID   string
	Rule *Rule
	// Field is the field of the first span.
	Field      string
	Spans      []Span
	Suggestion string
	// Canonical names of what matched: list A and B of a cooccurrence or
	// conditional rule, Terms for the other kinds.
	A, B, Terms []string
	// Context holds the canonical names of the category's note context
	// terms found anywhere in the article.
	Context []string
}

// rhit is a hit as one rule sees it.
type rhit struct {
	field      int32
	start, end int32
	o          *output
	unit       int64
}

// scratch is the memory one Scan works in, reused across scans so that the
// scan of an article allocates little beyond the findings it returns.
type scratch struct {
	ring     [ringSize]int32
	hits     []hit
	marks    []mark
	fmarks   []int32 // field i's marks are marks[fmarks[i]:fmarks[i+1]]
	bits     []uint8
	ascii    []bool // the field's text is all ASCII
	byRule   [][]rhit
	touched  []int32
	ctx      []ctxName
	tmp      []rhit
	side     []rhit
	pat      []rhit // a pattern rule's matches
	kept     []rhit // the hits of every rule that raises a finding
	ranges   []keptRange
	keys     []uint64 // one finding's span keys
	sums     []uint64 // the keys of all spans of a scan
	ids      []uint64 // the ids of all its findings
	sentSums []sentSum
	// Per field, computed when a rule needs them.
	sents, paras [][]int32
	// sentIdx[f][b] is how many of sents[f] are at or before byte
	// b<<blockShift; likewise paraIdx.
	sentIdx, paraIdx [][]int32
	quotes           [][][2]int32
	runes            [][]int32 // rune count at every runeStep bytes
	done             []uint8
}

// keptRange says which of scratch.kept are rule's.
type keptRange struct {
	rule       int32
	start, end int32
}

type ctxName struct {
	cat   int32
	canon string
}

const (
	doneSents = 1 << iota
	doneQuotes
	doneRunes
)

// runeStep is how many bytes apart the rune-offset checkpoints are.
const runeStep = 256

var scratchPool = sync.Pool{New: func() any { return &scratch{} }}

func (sc *scratch) reset(rules, fields int) {
	sc.hits, sc.marks, sc.fmarks, sc.bits, sc.ascii = sc.hits[:0], sc.marks[:0], sc.fmarks[:0], sc.bits[:0], sc.ascii[:0]
	for _, ri := range sc.touched {
		sc.byRule[ri] = sc.byRule[ri][:0]
	}
	sc.touched, sc.ctx, sc.sentSums = sc.touched[:0], sc.ctx[:0], sc.sentSums[:0]
	if len(sc.byRule) < rules {
		sc.byRule = append(sc.byRule, make([][]rhit, rules-len(sc.byRule))...)
	}
	if cap(sc.done) < fields {
		sc.done = make([]uint8, fields)
		sc.sents = make([][]int32, fields)
		sc.paras = make([][]int32, fields)
		sc.sentIdx = make([][]int32, fields)
		sc.paraIdx = make([][]int32, fields)
		sc.quotes = make([][][2]int32, fields)
		sc.runes = make([][]int32, fields)
	}
	sc.done = sc.done[:fields]
	sc.sents, sc.paras, sc.quotes, sc.runes = sc.sents[:fields], sc.paras[:fields], sc.quotes[:fields], sc.runes[:fields]
	sc.sentIdx, sc.paraIdx = sc.sentIdx[:fields], sc.paraIdx[:fields]
	clear(sc.done)
}

// Scan runs every rule over the fields of one article and returns the
// findings in rule order; each finding's spans are in field order.
func (s *Set) Scan(fields []Field) []Finding {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.reset(len(s.rules), len(fields))
	for fi, f := range fields {
		sc.fmarks = append(sc.fmarks, int32(len(sc.marks)))
		sc.bits = append(sc.bits, fieldBit(f.Base))
		ascii := true
		if f.Text != "" {
			ascii = s.ac.scan(sc, int32(fi), f.Text)
		}
		sc.ascii = append(sc.ascii, ascii)
	}
	sc.fmarks = append(sc.fmarks, int32(len(sc.marks)))
	for _, h := range sc.hits {
		outs := s.outs[h.term]
		for i := range outs {
			o := &outs[i]
			if o.role == roleContext {
				sc.addCtx(o.rule, o.canon)
				continue
			}
			if !s.rules[o.rule].appliesTo(sc.bits[h.field]) {
				continue
			}
			if len(sc.byRule[o.rule]) == 0 {
				sc.touched = append(sc.touched, o.rule)
			}
			sc.byRule[o.rule] = append(sc.byRule[o.rule], rhit{field: h.field, start: h.start, end: h.end, o: o})
		}
	}
	s.symbolTriggers(sc, fields)
	if len(sc.touched) == 0 {
		return nil
	}
	slices.Sort(sc.touched)
	sc.kept, sc.ranges = sc.kept[:0], sc.ranges[:0]
	for _, ri := range sc.touched {
		if hits := s.evaluate(sc, fields, s.rules[ri], sc.byRule[ri]); len(hits) > 0 {
			start := int32(len(sc.kept))
			sc.kept = append(sc.kept, hits...)
			sc.ranges = append(sc.ranges, keptRange{ri, start, int32(len(sc.kept))})
		}
	}
	if len(sc.ranges) == 0 {
		return nil
	}
	// One allocation for the findings, one for all their spans, one for
	// all the keys and ids.
	out := make([]Finding, len(sc.ranges))
	spans := make([]Span, 0, len(sc.kept))
	sc.sums, sc.ids = sc.sums[:0], sc.ids[:0]
	for i, k := range sc.ranges {
		out[i], spans = s.finding(sc, fields, s.rules[k.rule], sc.kept[k.start:k.end], spans)
	}
	sc.sums = append(sc.sums, sc.ids...)
	hexes := appendHex(sc.sums)
	for i := range spans {
		spans[i].Key = hexes[16*i : 16*i+16]
	}
	for i, k := 0, 16*len(spans); i < len(out); i, k = i+1, k+16 {
		out[i].ID = hexes[k : k+16]
	}
	if len(sc.ctx) > 0 {
		for i := range out {
			for _, c := range sc.ctx {
				if s.noteCat[c.cat] == out[i].Rule.Category {
					out[i].Context = appendNew(out[i].Context, c.canon)
				}
			}
		}
	}
	return out
}

func (sc *scratch) addCtx(cat int32, canon string) {
	for _, c := range sc.ctx {
		if c.cat == cat && c.canon == canon {
			return
		}
	}
	sc.ctx = append(sc.ctx, ctxName{cat, canon})
}

// symbolOutput marks a prefilter literal found by a plain search.
var symbolOutput = output{role: roleTrigger}

// symbolTriggers finds the prefilter entries of pattern rules that are not
// words ("@") with a plain substring search.
func (s *Set) symbolTriggers(sc *scratch, fields []Field) {
	for _, r := range s.rules {
		if len(r.symbols) == 0 {
			continue
		}
		for fi, f := range fields {
			if !r.appliesTo(sc.bits[fi]) {
				continue
			}
			for _, sym := range r.symbols {
				if i := strings.Index(f.Text, sym); i >= 0 {
					if len(sc.byRule[r.idx]) == 0 {
						sc.touched = append(sc.touched, int32(r.idx))
					}
					sc.byRule[r.idx] = append(sc.byRule[r.idx], rhit{field: int32(fi), start: int32(i), end: int32(i + len(sym)), o: &symbolOutput})
				}
			}
		}
	}
}

// evaluate applies one rule to the hits of its terms and returns the hits
// its finding is made of, if it raises one. They are in scratch memory,
// valid until the next call.
func (s *Set) evaluate(sc *scratch, fields []Field, r *Rule, hits []rhit) []rhit {
	// Sort out the lists: main hits, exceptions, unless.
	main, side := sc.tmp[:0], sc.side[:0]
	defer func() { sc.tmp, sc.side = main[:0], side[:0] }()
	for _, h := range hits {
		switch h.o.role {
		case roleExcept, roleUnless, roleWith:
			side = append(side, h)
		default:
			main = append(main, h)
		}
	}
	scope := r.scope()
	for i := range side {
		if side[i].o.role != roleExcept {
			side[i].unit = sc.unit(fields, scope, side[i].field, side[i].start)
		}
	}
	cands := main
	if r.Kind == Pattern {
		sc.pat = s.runPattern(sc, fields, r, main, side, sc.pat[:0])
		cands = sc.pat
	}
	// Exceptions and quotations.
	kept := cands[:0]
	for _, h := range cands {
		if overlapsExcept(h, side) {
			continue
		}
		if r.OutsideQuotes && sc.inQuotes(fields, h.field, h.start) {
			continue
		}
		kept = append(kept, h)
	}
	out := leftmostLongest(kept)
	if len(out) == 0 {
		return nil
	}
	for i := range out {
		out[i].unit = sc.unit(fields, scope, out[i].field, out[i].start)
	}
	switch r.Kind {
	case Occurrence:
		out = overMax(out, r.Max)
	case Cooccurrence:
		out = bothInUnit(out)
	case Conditional:
		out = aWithoutB(out)
	}
	if len(r.With) > 0 && r.Kind != Pattern {
		out = byUnit(sc, fields, scope, out, side, roleWith, true)
	}
	if len(r.Unless) > 0 {
		out = byUnit(sc, fields, scope, out, side, roleUnless, false)
	}
	return out
}

func overlapsExcept(h rhit, side []rhit) bool {
	for _, o := range side {
		if o.o.role == roleExcept && o.field == h.field && h.start < o.end && o.start < h.end {
			return true
		}
	}
	return false
}

// leftmostLongest orders hits by field and position and drops those that
// overlap an earlier or longer one of the same role, so "could not be
// independently verified" is one span, not also "not independently
// verified". Hits of lists A and B may overlap: "Taiwanese independence"
// is both a region and a claim of sovereignty.
func leftmostLongest(hits []rhit) []rhit {
	slices.SortFunc(hits, func(a, b rhit) int {
		if c := cmp.Compare(a.field, b.field); c != 0 {
			return c
		}
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return cmp.Compare(b.end, a.end)
	})
	out := hits[:0]
	var field [roleContext + 1]int32
	var end [roleContext + 1]int32
	for i := range field {
		field[i], end[i] = -1, -1
	}
	for _, h := range hits {
		r := h.o.role
		if h.field == field[r] && h.start < end[r] {
			continue
		}
		out = append(out, h)
		field[r], end[r] = h.field, h.end
	}
	return out
}

// overMax keeps the hits of the units that hold more than max of them.
// Hits are sorted by field and position, so a unit's hits are contiguous.
func overMax(hits []rhit, max int) []rhit {
	out := hits[:0]
	for i := 0; i < len(hits); {
		j := i
		for j < len(hits) && hits[j].unit == hits[i].unit {
			j++
		}
		n := j - i
		if n > max {
			out = append(out, hits[i:j]...)
		}
		i = j
	}
	return out
}

// bothInUnit keeps the A and B hits of units that hold both. Hits are
// sorted by field and position, so a unit's hits are contiguous.
func bothInUnit(hits []rhit) []rhit {
	out := hits[:0]
	for i := 0; i < len(hits); {
		j := i
		var a, b bool
		for ; j < len(hits) && hits[j].unit == hits[i].unit; j++ {
			a = a || hits[j].o.role == roleA
			b = b || hits[j].o.role == roleB
		}
		if a && b {
			out = append(out, hits[i:j]...)
		}
		i = j
	}
	return out
}

// aWithoutB keeps the A hits of units that hold no B.
func aWithoutB(hits []rhit) []rhit {
	out := hits[:0]
	for i := 0; i < len(hits); {
		j := i
		b := false
		for ; j < len(hits) && hits[j].unit == hits[i].unit; j++ {
			b = b || hits[j].o.role == roleB
		}
		if !b {
			for _, h := range hits[i:j] {
				if h.o.role == roleA {
					out = append(out, h)
				}
			}
		}
		i = j
	}
	return out
}

// byUnit keeps the hits whose unit holds a side hit of role (keep true:
// with) or holds none (keep false: unless). A side term inside the match
// itself ("said" in "is said to have") does not count.
func byUnit(sc *scratch, fields []Field, scope Scope, hits, side []rhit, role role, keep bool) []rhit {
	out := hits[:0]
	for _, h := range hits {
		if sc.unitHas(fields, scope, h, side, role) == keep {
			out = append(out, h)
		}
	}
	return out
}

// unitHas reports whether h's unit holds a side hit of role outside h.
func (sc *scratch) unitHas(fields []Field, scope Scope, h rhit, side []rhit, role role) bool {
	for _, o := range side {
		if o.o.role != role {
			continue
		}
		inside := o.field == h.field && o.start < h.end && h.start < o.end
		if !inside && o.unit == h.unit {
			return true
		}
	}
	return false
}

// runPattern runs a pattern rule's expression over each unit of its scope
// that holds a prefilter hit (and a with hit, if the rule has a with list)
// and could hold a match, or only over a window around each prefilter hit
// when the rule sets one, and appends its matches to out as hits.
func (s *Set) runPattern(sc *scratch, fields []Field, r *Rule, triggers, side, out []rhit) []rhit {
	scope := r.scope()
	run := func(field int32, us, ue int) {
		text := fields[field].Text[us:ue]
		if !r.need.holds(text) {
			return
		}
		for s, e := range r.find.all(text) {
			out = append(out, rhit{field: field, start: int32(us + s), end: int32(us + e), o: &patternOutput})
		}
	}
	if scope == Article && r.Window == 0 {
		// Any trigger anywhere: the expression runs over every field the
		// rule applies to.
		if len(triggers) == 0 || len(r.With) > 0 && !hasRole(side, roleWith) {
			return out
		}
		for fi, f := range fields {
			if r.appliesTo(sc.bits[fi]) && f.Text != "" {
				run(int32(fi), 0, len(f.Text))
			}
		}
		return out
	}
	// The ranges to run over, merged where they touch; triggers come in
	// field and position order.
	slices.SortFunc(triggers, func(a, b rhit) int {
		if c := cmp.Compare(a.field, b.field); c != 0 {
			return c
		}
		return cmp.Compare(a.start, b.start)
	})
	curField, curStart, curEnd := int32(-1), 0, 0
	for _, t := range triggers {
		t.unit = sc.unit(fields, scope, t.field, t.start)
		if len(r.With) > 0 && !sc.unitHas(fields, scope, t, side, roleWith) {
			continue
		}
		us, ue := sc.unitRange(fields, scope, t.field, t.start)
		if r.Window > 0 {
			text := fields[t.field].Text
			ws, we := max(us, int(t.start)-r.Window), min(ue, int(t.end)+r.Window)
			for ws > us && wordEndsAt(text, ws) && wordStartsAt(text, ws) {
				ws-- // do not start inside a word
			}
			for ws > us && !utf8.RuneStart(text[ws]) {
				ws--
			}
			for we < ue && !utf8.RuneStart(text[we]) {
				we++
			}
			us, ue = ws, we
		}
		if t.field == curField && us <= curEnd {
			curEnd = max(curEnd, ue)
			continue
		}
		if curField >= 0 {
			run(curField, curStart, curEnd)
		}
		curField, curStart, curEnd = t.field, us, ue
	}
	if curField >= 0 {
		run(curField, curStart, curEnd)
	}
	return out
}

func hasRole(hits []rhit, ro role) bool {
	for _, h := range hits {
		if h.o.role == ro {
			return true
		}
	}
	return false
}

var patternOutput = output{role: roleTerm}

const unitArticle = -1

// unit identifies the scope unit holding byte pos of field f.
func (sc *scratch) unit(fields []Field, scope Scope, f, pos int32) int64 {
	switch scope {
	case Article:
		return unitArticle
	case FieldScope:
		return int64(f) << 32
	}
	return int64(f)<<32 | int64(after(sc.breaks(fields, scope, f), pos))
}

// unitRange returns the byte range of the unit holding pos.
func (sc *scratch) unitRange(fields []Field, scope Scope, f, pos int32) (int, int) {
	n := len(fields[f].Text)
	if scope == Article || scope == FieldScope {
		return 0, n
	}
	bs := sc.breaks(fields, scope, f)
	breaks := bs.at
	k := after(bs, pos)
	start, end := 0, n
	if k > 0 {
		start = int(breaks[k-1])
	}
	if k < len(breaks) {
		end = int(breaks[k])
	}
	return start, end
}

// breakList is where the units of a field end, sorted, with an index by
// position: every hit asks which unit it is in, so the answer must be
// cheap.
type breakList struct {
	at  []int32
	idx []int32 // idx[b] is how many of at are at or before byte b<<blockShift
}

// blockShift sets the index's granularity: 32 bytes, shorter than almost
// every sentence, so a lookup reads one or two breaks.
const blockShift = 5

// after returns how many of the breaks are at or before pos.
func after(bs breakList, pos int32) int {
	k := int(bs.idx[pos>>blockShift])
	for k < len(bs.at) && bs.at[k] <= pos {
		k++
	}
	return k
}

// blockIndex appends to dst the index of breaks at for a text of n bytes.
func blockIndex(dst, at []int32, n int) []int32 {
	k := 0
	for b := 0; b<<blockShift <= n; b++ {
		for k < len(at) && at[k] <= int32(b<<blockShift) {
			k++
		}
		dst = append(dst, int32(k))
	}
	return dst
}

// breaks returns where the sentences (or paragraphs) of field f end.
func (sc *scratch) breaks(fields []Field, scope Scope, f int32) breakList {
	if sc.done[f]&doneSents == 0 {
		sc.done[f] |= doneSents
		sents, paras := sc.sents[f][:0], sc.paras[f][:0]
		for _, m := range sc.marks[sc.fmarks[f]:sc.fmarks[f+1]] {
			switch m.kind {
			case markParagraph:
				paras = append(paras, m.pos)
				sents = append(sents, m.pos)
			case markSentence:
				sents = append(sents, m.pos)
			}
		}
		// An ellipsis or a stop followed by closing quotes can note its
		// break after a later mark; keep the lists sorted.
		if !slices.IsSorted(sents) {
			slices.Sort(sents)
		}
		n := len(fields[f].Text)
		sc.sents[f], sc.paras[f] = sents, paras
		sc.sentIdx[f] = blockIndex(sc.sentIdx[f][:0], sents, n)
		sc.paraIdx[f] = blockIndex(sc.paraIdx[f][:0], paras, n)
	}
	if scope == Paragraph {
		return breakList{sc.paras[f], sc.paraIdx[f]}
	}
	return breakList{sc.sents[f], sc.sentIdx[f]}
}

// inQuotes reports whether byte pos of field f is inside quotation marks:
// “…”, «…» or straight "…". A paragraph break closes an unclosed quote, so
// a stray mark cannot hide the rest of the article.
func (sc *scratch) inQuotes(fields []Field, f, pos int32) bool {
	if sc.done[f]&doneQuotes == 0 {
		sc.done[f] |= doneQuotes
		qs := sc.quotes[f][:0]
		open := int32(-1)
		var closer uint8
		for _, m := range sc.marks[sc.fmarks[f]:sc.fmarks[f+1]] {
			switch m.kind {
			case markQuote, markOpenCurly, markOpenGuil:
				if open < 0 {
					open, closer = m.pos, closerOf(m.kind)
				} else if m.kind == markQuote && closer == markQuote {
					qs = append(qs, [2]int32{open, m.pos + 1})
					open = -1
				}
			case markCloseCurly, markCloseGuil:
				if open >= 0 && m.kind == closer {
					w := int32(3) // ”
					if m.kind == markCloseGuil {
						w = 2 // »
					}
					qs = append(qs, [2]int32{open, m.pos + w})
					open = -1
				}
			case markParagraph:
				if open >= 0 {
					qs = append(qs, [2]int32{open, m.pos})
					open = -1
				}
			}
		}
		if open >= 0 {
			qs = append(qs, [2]int32{open, int32(len(fields[f].Text))})
		}
		sc.quotes[f] = qs
	}
	for _, q := range sc.quotes[f] {
		if pos >= q[0] && pos < q[1] {
			return true
		}
	}
	return false
}

func closerOf(open uint8) uint8 {
	switch open {
	case markOpenCurly:
		return markCloseCurly
	case markOpenGuil:
		return markCloseGuil
	}
	return markQuote
}

// runeOffset returns the rune offset of byte pos in field f.
func (sc *scratch) runeOffset(fields []Field, f int32, pos int) int {
	text := fields[f].Text
	if sc.done[f]&doneRunes == 0 {
		sc.done[f] |= doneRunes
		cps := sc.runes[f][:0]
		n := 0
		for i := 0; i < len(text); i += runeStep {
			cps = append(cps, int32(n))
			n += runeCount(text[i:min(i+runeStep, len(text))])
		}
		sc.runes[f] = cps
	}
	k := pos / runeStep
	if k >= len(sc.runes[f]) {
		k = len(sc.runes[f]) - 1
	}
	if k < 0 {
		return 0
	}
	return int(sc.runes[f][k]) + runeCount(text[k*runeStep:pos])
}

// runeCount is utf8.RuneCountInString, eight bytes at a time where they
// are all ASCII.
func runeCount(s string) int {
	n := 0
	for len(s) > 0 {
		if len(s) >= 8 {
			w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
				uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
			if w&0x8080808080808080 == 0 {
				n += 8
				s = s[8:]
				continue
			}
		}
		if s[0] < utf8.RuneSelf {
			n++
			s = s[1:]
			continue
		}
		_, w := utf8.DecodeRuneInString(s)
		n++
		s = s[w:]
	}
	return n
}

// finding builds the finding of rule r from the hits it kept. Its spans
// are appended to spans, which must have room for one per hit, so that
// the findings of a scan share one array. Their keys are appended to
// sc.sums and the finding's id to sc.ids, as numbers: Scan writes them all
// out as text in one string at the end.
func (s *Set) finding(sc *scratch, fields []Field, r *Rule, hits []rhit, spans []Span) (Finding, []Span) {
	fd := Finding{Rule: r, Field: fields[hits[0].field].Name}
	first := len(spans)
	var subs []string
	keys := sc.keys[:0]
	for i, h := range hits {
		f := fields[h.field]
		if i > 0 && h.field == hits[i-1].field && h.start == hits[i-1].start && h.end == hits[i-1].end {
			// One phrase in both lists: one span, both names.
			switch h.o.role {
			case roleA:
				fd.A = appendNew(fd.A, h.o.canon)
			case roleB:
				fd.B = appendNew(fd.B, h.o.canon)
			}
			continue
		}
		sp := makeSpan(f.Text, int(h.start), int(h.end))
		sp.Field = f.Name
		if sc.ascii[h.field] {
			sp.RuneStart, sp.RuneEnd = sp.Start, sp.End
		} else {
			sp.RuneStart = sc.runeOffset(fields, h.field, sp.Start)
			sp.RuneEnd = sp.RuneStart + runeCount(sp.Text)
		}
		k := sc.spanKey(fields, r.ID, h)
		keys = append(keys, k)
		sc.sums = append(sc.sums, k)
		spans = append(spans, sp)
		switch h.o.role {
		case roleA:
			fd.A = appendNew(fd.A, h.o.canon)
		case roleB:
			fd.B = appendNew(fd.B, h.o.canon)
		default:
			if h.o.canon != "" {
				fd.Terms = appendNew(fd.Terms, h.o.canon)
			}
		}
		if h.o.repl != "" {
			subs = appendNew(subs, fmt.Sprintf("Use “%s” instead of “%s”.", h.o.repl, h.o.canon))
		}
	}
	// A full slice expression: appending to one finding's spans must not
	// overwrite the next one's.
	fd.Spans = spans[first:len(spans):len(spans)]
	fd.Suggestion = strings.Join(append(subs, r.Suggestions...), " ")
	sc.ids = append(sc.ids, flagSum(r.ID, keys))
	sc.keys = keys[:0]
	return fd, spans
}

// FlagID is a short, deterministic id for a rule's finding: a hash of the
// rule and the set of its spans' keys. The same passages flagged again in a
// later revision get the same id.
func FlagID(ruleID string, keys []string) string {
	ks := slices.Clone(keys)
	slices.Sort(ks)
	ks = slices.Compact(ks)
	h := fnvString(fnvOffset, ruleID)
	for _, k := range ks {
		h = fnvString(fnvByte(h, 0), k)
	}
	return hex64(h)
}

// flagSum is FlagID over the keys' hashes, sorting them in place: sixteen
// hex digits sort as the numbers they write.
func flagSum(ruleID string, ks []uint64) uint64 {
	slices.Sort(ks)
	ks = slices.Compact(ks)
	h := fnvString(fnvOffset, ruleID)
	var buf [16]byte
	for _, k := range ks {
		h = fnvBytes(fnvByte(h, 0), putHex(&buf, k))
	}
	return h
}

// spanKey is the identity of a passage: the rule, the field, the matched
// text and the sentence around it, each normalized (case, apostrophes,
// punctuation and spacing do not count). A decision carries over to a
// later revision only while all four stay the same. It is a 64-bit FNV-1a
// hash: stable across processes and versions, and cheap, since every span
// of every scan gets one.
func (sc *scratch) spanKey(fields []Field, ruleID string, h rhit) uint64 {
	f := fields[h.field]
	ss, se := sc.unitRange(fields, Sentence, h.field, h.start)
	se = max(se, int(h.end))
	// The sentences hashed so far in this scan, latest first: a rule's
	// spans come in text order, and several rules flag the same sentence.
	sent, found := uint64(0), false
	for i := len(sc.sentSums) - 1; i >= 0; i-- {
		if m := sc.sentSums[i]; m.field == h.field && m.start == int32(ss) && m.end == int32(se) {
			sent, found = m.sum, true
			break
		}
	}
	if !found {
		sent = hashNormKey(fnvOffset, f.Text[ss:se])
		sc.sentSums = append(sc.sentSums, sentSum{h.field, int32(ss), int32(se), sent})
	}
	k := fnvString(fnvOffset, ruleID)
	k = fnvString(fnvByte(k, 0), f.Base)
	k = hashNormKey(fnvByte(k, 0), f.Text[h.start:h.end])
	for i := 0; i < 8; i++ {
		k = fnvByte(k, byte(sent>>(8*i)))
	}
	return k
}

type sentSum struct {
	field, start, end int32
	sum               uint64
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvByte(h uint64, c byte) uint64 { return (h ^ uint64(c)) * fnvPrime }

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

func fnvBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

func hex64(h uint64) string {
	var b [8]byte
	for i := range b {
		b[i] = byte(h >> (56 - 8*i))
	}
	return hex.EncodeToString(b[:])
}

// putHex writes h as hex64 does, into buf.
func putHex(buf *[16]byte, h uint64) []byte {
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		buf[i] = digits[h&0xf]
		h >>= 4
	}
	return buf[:]
}

// appendHex is the hex64 of each of hs, end to end in one string.
func appendHex(hs []uint64) string {
	var b strings.Builder
	b.Grow(16 * len(hs))
	var buf [16]byte
	for _, h := range hs {
		b.Write(putHex(&buf, h))
	}
	return b.String()
}

func appendNew(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}
