package rules

import (
	"fmt"
	"sort"
	"strings"
)

// Field is one piece of an article's text. Name is what a flag reports
// ("body", "takeaways[2].quote"); Base is the field rules select on
// ("takeaways").
type Field struct {
	Name string
	Base string
	Text string
}

// Finding is everything one rule matched in one field: each match is a span.
type Finding struct {
	// ID is deterministic: see FlagID.
	ID         string
	Rule       *Rule
	Field      string
	Spans      []Span
	Suggestion string
	// Canonical names of what matched: list A and B of a cooccurrence rule,
	// Terms for the other kinds.
	A, B, Terms []string
}

// hit is one phrase match: tokens [i, j) of the field.
type hit struct {
	out  output
	i, j int
}

// Scan runs every rule over fields and returns the findings, in field order
// and, within a field, in rule order.
func (s *Set) Scan(fields []Field) []Finding {
	var out []Finding
	for _, f := range fields {
		out = append(out, s.scanField(f)...)
	}
	return out
}

func (s *Set) scanField(f Field) []Finding {
	if f.Text == "" {
		return nil
	}
	toks := tokenize(f.Text)
	byRule := map[int][]hit{}
	for i := range toks {
		n := s.root
		for j := i; j < len(toks); j++ {
			if j > i && !toks[j].join {
				break
			}
			if n = n.kids[toks[j].norm]; n == nil {
				break
			}
			for _, o := range n.out {
				byRule[o.rule] = append(byRule[o.rule], hit{o, i, j + 1})
			}
		}
	}
	if len(byRule) == 0 {
		return nil
	}
	idxs := make([]int, 0, len(byRule))
	for idx := range byRule {
		idxs = append(idxs, idx)
	}
	sort.Ints(idxs)
	var quotes [][2]int
	quotesDone := false
	var out []Finding
	for _, idx := range idxs {
		r := s.rules[idx]
		if !r.appliesTo(f.Base) {
			continue
		}
		if r.OutsideQuotes && !quotesDone {
			quotes, quotesDone = quoteRanges(f.Text), true
		}
		hits := keep(byRule[idx], toks, r.OutsideQuotes, quotes)
		if r.Kind == Cooccurrence {
			hits = cooccurring(hits, toks)
		}
		hits = leftmostLongest(hits)
		if len(hits) == 0 {
			continue
		}
		out = append(out, finding(r, f, toks, hits))
	}
	return out
}

// keep drops exception phrases and the matches they overlap, and matches
// inside quotation marks when the rule asks for that.
func keep(hits []hit, toks []token, outsideQuotes bool, quotes [][2]int) []hit {
	var exc []hit
	for _, h := range hits {
		if h.out.role == roleExcept {
			exc = append(exc, h)
		}
	}
	var kept []hit
	for _, h := range hits {
		if h.out.role == roleExcept {
			continue
		}
		if overlapsAny(h, exc) {
			continue
		}
		if outsideQuotes && inRanges(toks[h.i].start, quotes) {
			continue
		}
		kept = append(kept, h)
	}
	return kept
}

func overlapsAny(h hit, others []hit) bool {
	for _, o := range others {
		if h.i < o.j && o.i < h.j {
			return true
		}
	}
	return false
}

func inRanges(pos int, rs [][2]int) bool {
	for _, r := range rs {
		if pos >= r[0] && pos < r[1] {
			return true
		}
	}
	return false
}

// cooccurring keeps the A and B matches of sentences that hold both.
func cooccurring(hits []hit, toks []token) []hit {
	type seen struct{ a, b bool }
	bySent := map[int]*seen{}
	for _, h := range hits {
		sn := bySent[toks[h.i].sent]
		if sn == nil {
			sn = &seen{}
			bySent[toks[h.i].sent] = sn
		}
		switch h.out.role {
		case roleA:
			sn.a = true
		case roleB:
			sn.b = true
		}
	}
	var out []hit
	for _, h := range hits {
		if sn := bySent[toks[h.i].sent]; sn.a && sn.b {
			out = append(out, h)
		}
	}
	return out
}

// leftmostLongest orders matches by position and drops those that overlap
// an earlier or longer one, so "could not be independently verified" is one
// span, not also "not independently verified".
func leftmostLongest(hits []hit) []hit {
	sort.SliceStable(hits, func(x, y int) bool {
		if hits[x].i != hits[y].i {
			return hits[x].i < hits[y].i
		}
		return hits[x].j > hits[y].j
	})
	var out []hit
	end := -1
	for _, h := range hits {
		if h.i < end {
			continue
		}
		out = append(out, h)
		end = h.j
	}
	return out
}

func finding(r *Rule, f Field, toks []token, hits []hit) Finding {
	fd := Finding{Rule: r, Field: f.Name}
	var subs []string
	for _, h := range hits {
		fd.Spans = append(fd.Spans, span(f.Text, toks[h.i], toks[h.j-1]))
		switch h.out.role {
		case roleA:
			fd.A = appendNew(fd.A, h.out.canon)
		case roleB:
			fd.B = appendNew(fd.B, h.out.canon)
		default:
			fd.Terms = appendNew(fd.Terms, h.out.canon)
		}
		if h.out.repl != "" {
			subs = appendNew(subs, fmt.Sprintf("Use “%s” instead of “%s”.", h.out.repl, h.out.canon))
		}
	}
	fd.Suggestion = strings.Join(append(subs, r.Suggestions...), " ")
	fd.ID = FlagID(r.ID, f.Name, idText(r, f.Text, toks, hits))
	return fd
}

// idText is the matched text a finding's id is keyed by: the first match,
// or for a cooccurrence the first pair (leader and conflict term) of the
// first sentence, so a decision on "Putin … invasion" does not carry over
// to a new sentence about Putin and sanctions.
func idText(r *Rule, text string, toks []token, hits []hit) string {
	first := hits[0]
	words := func(h hit) string { return text[toks[h.i].start:toks[h.j-1].end] }
	if r.Kind != Cooccurrence {
		return words(first)
	}
	var a, b string
	for _, h := range hits {
		if toks[h.i].sent != toks[first.i].sent {
			break
		}
		switch {
		case h.out.role == roleA && a == "":
			a = words(h)
		case h.out.role == roleB && b == "":
			b = words(h)
		}
	}
	return a + " " + b
}

func appendNew(list []string, s string) []string {
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}

// quoteRanges returns the byte ranges inside quotation marks: “…”, «…» and
// straight "…" pairs. A paragraph break closes an unclosed quote, so a
// stray mark cannot hide the rest of the article.
func quoteRanges(text string) [][2]int {
	var out [][2]int
	open := -1
	var closer rune
	for i, c := range text {
		switch {
		case open < 0 && (c == '“' || c == '"' || c == '«'):
			open = i
			closer = map[rune]rune{'“': '”', '"': '"', '«': '»'}[c]
		case open >= 0 && c == closer:
			out = append(out, [2]int{open, i + len(string(c))})
			open = -1
		case open >= 0 && c == '\n' && strings.HasPrefix(strings.TrimLeft(text[i+1:], " \t"), "\n"):
			out = append(out, [2]int{open, i})
			open = -1
		}
	}
	if open >= 0 {
		out = append(out, [2]int{open, len(text)})
	}
	return out
}
