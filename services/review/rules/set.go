package rules

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// role is what a term means to the rule that listed it.
type role uint8

const (
	roleTerm    role = iota // existence, substitution, occurrence
	roleA                   // list a of a cooccurrence or conditional
	roleB                   // list b
	roleExcept              // exceptions
	roleUnless              // unless
	roleWith                // with
	roleTrigger             // a pattern rule's prefilter
	roleContext             // a category's note context
)

// output is one rule's interest in a term.
type output struct {
	rule  int32 // rule index, or category index for roleContext
	role  role
	canon string // the term's canonical name, for notes and suggestions
	repl  string // a substitution's replacement
}

// The built-in terms, ids 0 and 1: where a bare URL starts.
var urlTerms = []string{"http", "https"}

const numURLTerms = 2

// Set is a compiled rule set. It is immutable and safe for concurrent use.
type Set struct {
	rules   []*Rule
	byID    map[string]*Rule
	notes   map[string]*NoteTemplate
	noteCat []string // category of each note context index
	ac      *automaton
	outs    [][]output // term id → what it means to whom
	terms   []string   // term id → matching form
	digest  string
	packs   int
}

// Rules returns the rules in load order.
func (s *Set) Rules() []*Rule { return s.rules }

// Rule returns the rule with id, or nil.
func (s *Set) Rule(id string) *Rule { return s.byID[id] }

// Digest is the SHA-256 of the pack and data files the set was loaded from.
func (s *Set) Digest() string { return s.digest }

// Packs is the number of pack files loaded.
func (s *Set) Packs() int { return s.packs }

// Categories lists the categories of the rules, in load order.
func (s *Set) Categories() []string {
	var out []string
	for _, r := range s.rules {
		out = appendNew(out, r.Category)
	}
	return out
}

// Stats describes the compiled automaton.
type Stats struct {
	Terms, States, Symbols int
	TableBytes             int
}

// Stats returns the size of the compiled automaton.
func (s *Set) Stats() Stats {
	return Stats{Terms: len(s.terms), States: s.ac.States(), Symbols: s.ac.nsym, TableBytes: 4 * len(s.ac.delta)}
}

type builder struct {
	set  *Set
	ids  map[string]int32
	data map[string][]dataLine
	ps   *problems
}

func compile(packs []*Pack, data map[string][]dataLine, ps *problems) *Set {
	s := &Set{byID: map[string]*Rule{}, notes: map[string]*NoteTemplate{}}
	b := &builder{set: s, ids: map[string]int32{}, data: data, ps: ps}
	for _, u := range urlTerms {
		b.term(u)
	}
	for _, p := range packs {
		if p.Note != nil {
			if _, dup := s.notes[p.Category]; dup {
				ps.add(p.file, p.noteLine, "", "a second note for category %s", p.Category)
			}
			s.notes[p.Category] = p.Note
			if len(p.Note.Context) > 0 {
				ci := int32(len(s.noteCat))
				s.noteCat = append(s.noteCat, p.Category)
				b.add(p.file, p.noteLine, "", p.Note.Context, output{rule: ci, role: roleContext}, false)
			}
		}
		for ri := range p.Rules {
			r := &p.Rules[ri]
			if prev, dup := s.byID[r.ID]; dup {
				ps.add(r.File, r.Line, r.ID, "duplicate rule id (first defined in %s:%d)", prev.File, prev.Line)
				continue
			}
			r.idx = len(s.rules)
			s.rules = append(s.rules, r)
			s.byID[r.ID] = r
			b.rule(r)
		}
	}
	if n := tableSize(s.terms); n > maxTableEntries {
		ps.add(".", 0, "", "the rule set is too large: its automaton would need %d table entries (at most %d); split or trim the term lists", n, maxTableEntries)
		return s
	}
	s.ac = buildAutomaton(s.terms)
	return s
}

// maxTableEntries bounds the automaton's transition table (4 bytes an
// entry): the shipped packs need about 600,000.
const maxTableEntries = 1 << 24

// tableSize is an upper bound on the table entries terms need: one row of
// symbols for each byte of every term.
func tableSize(terms []string) int {
	var seen [256]bool
	syms, total := 3, 1
	for _, t := range terms {
		total += len(t)
		for i := 0; i < len(t); i++ {
			if !seen[t[i]] {
				seen[t[i]] = true
				syms++
			}
		}
	}
	return total * syms
}

func (b *builder) rule(r *Rule) {
	o := output{rule: int32(r.idx)}
	at := func(key string) int { return r.line(key) }
	switch r.Kind {
	case Existence, Occurrence:
		o.role = roleTerm
		b.add(r.File, at("terms"), r.ID, r.Terms, o, r.Inflect)
	case Substitution:
		keys := make([]string, 0, len(r.Replace))
		for k := range r.Replace {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			o := output{rule: int32(r.idx), role: roleTerm, repl: r.Replace[k]}
			b.add(r.File, at("replace"), r.ID, []string{k}, o, false)
		}
	case Cooccurrence, Conditional:
		o.role = roleA
		b.add(r.File, at("a"), r.ID, r.A, o, r.Inflect)
		o.role = roleB
		b.add(r.File, at("b"), r.ID, r.B, o, r.Inflect)
	case Pattern:
		var words []string
		for _, e := range r.Prefilter {
			if strings.IndexFunc(e, isWordRune) < 0 {
				if e = strings.TrimSpace(e); e == "" {
					b.ps.add(r.File, at("prefilter"), r.ID, "an empty prefilter entry")
					continue
				}
				r.symbols = append(r.symbols, e)
				continue
			}
			words = append(words, e)
		}
		o.role = roleTrigger
		b.add(r.File, at("prefilter"), r.ID, words, o, false)
	}
	o.role = roleExcept
	b.add(r.File, at("exceptions"), r.ID, r.Exceptions, o, false)
	o.role = roleUnless
	b.add(r.File, at("unless"), r.ID, r.Unless, o, false)
	o.role = roleWith
	b.add(r.File, at("with"), r.ID, r.With, o, false)
}

// add compiles list entries: "@name" includes data/name.txt, "a|b" lists
// variants named after the first, and inflect adds the inflections of each
// variant's last word.
func (b *builder) add(file string, line int, ruleID string, entries []string, o output, inflect bool) {
	for _, e := range entries {
		b.entry(file, line, ruleID, e, o, inflect, 0)
	}
}

func (b *builder) entry(file string, line int, ruleID, entry string, o output, inflect bool, depth int) {
	entry = strings.TrimSpace(entry)
	if name, ok := strings.CutPrefix(entry, "@"); ok {
		lines, found := b.data[name]
		switch {
		case !found:
			b.ps.add(file, line, ruleID, "no data file data/%s.txt for %q", name, entry)
		case depth > 0:
			b.ps.add(file, line, ruleID, "a data file may not include another (%q)", entry)
		default:
			for _, l := range lines {
				b.entry("data/"+name+".txt", l.line, ruleID, l.text, o, inflect, depth+1)
			}
		}
		return
	}
	variants := strings.Split(entry, "|")
	canon := strings.TrimSpace(variants[0])
	for _, v := range variants {
		norm, err := normTerm(v)
		if err != nil {
			b.ps.add(file, line, ruleID, "%v", err)
			continue
		}
		forms := []string{norm}
		if inflect {
			head, last := "", norm
			if i := strings.LastIndexByte(norm, ' '); i >= 0 {
				head, last = norm[:i+1], norm[i+1:]
			}
			forms = forms[:0]
			for _, f := range inflections(last) {
				forms = append(forms, head+f)
			}
		}
		for _, f := range forms {
			out := o
			out.canon = canon
			b.put(f, out)
			if !isASCII(f) {
				if up := upperNonASCII(f); up != f {
					b.put(up, out)
				}
			}
		}
	}
}

func (b *builder) put(term string, o output) {
	id := b.term(term)
	for _, have := range b.set.outs[id] {
		if have.rule == o.rule && have.role == o.role {
			return
		}
	}
	b.set.outs[id] = append(b.set.outs[id], o)
}

func (b *builder) term(t string) int32 {
	if id, ok := b.ids[t]; ok {
		return id
	}
	id := int32(len(b.set.terms))
	b.ids[t] = id
	b.set.terms = append(b.set.terms, t)
	b.set.outs = append(b.set.outs, nil)
	return id
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String describes the set in one line.
func (s *Set) String() string {
	st := s.Stats()
	return fmt.Sprintf("%d rules in %d packs, %d terms, %d states", len(s.rules), s.packs, st.Terms, st.States)
}
