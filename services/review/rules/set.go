package rules

import (
	"fmt"
	"sort"
	"strings"
)

// role is what a phrase means to the rule that listed it.
type role uint8

const (
	roleTerm role = iota
	roleA
	roleB
	roleExcept
)

// output is one rule's interest in a phrase that ends at a trie node.
type output struct {
	rule  int
	role  role
	canon string // the term's canonical name, for notes and suggestions
	repl  string // a substitution's replacement
}

// node is a word trie: every phrase of every rule, compiled once, so a field
// is scanned in one pass whatever the number of rules. (A later version may
// swap in a byte-level Aho–Corasick automaton behind Set.Scan.)
type node struct {
	kids map[string]*node
	out  []output
}

// Set is a compiled rule set, safe for concurrent use.
type Set struct {
	rules []*Rule
	notes map[string]*NoteTemplate
	root  *node
}

// Rules returns the rules in load order.
func (s *Set) Rules() []*Rule { return s.rules }

// Rule returns the rule with id, or nil.
func (s *Set) Rule(id string) *Rule {
	for _, r := range s.rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func compile(packs []Pack, data func(name string) ([]string, error)) (*Set, error) {
	s := &Set{notes: map[string]*NoteTemplate{}, root: &node{}}
	seen := map[string]bool{}
	for pi := range packs {
		p := &packs[pi]
		if p.Note != nil {
			if _, dup := s.notes[p.Category]; dup {
				return nil, fmt.Errorf("%w: two notes for category %s", ErrInvalid, p.Category)
			}
			s.notes[p.Category] = p.Note
		}
		for ri := range p.Rules {
			r := &p.Rules[ri]
			if seen[r.ID] {
				return nil, fmt.Errorf("%w: duplicate rule id %s", ErrInvalid, r.ID)
			}
			seen[r.ID] = true
			idx := len(s.rules)
			s.rules = append(s.rules, r)
			add := func(entries []string, ro role, inflect bool) error {
				for _, e := range entries {
					phrases, err := expand(e, inflect, data)
					if err != nil {
						return fmt.Errorf("%w: rule %s: %w", ErrInvalid, r.ID, err)
					}
					for _, ph := range phrases {
						s.insert(ph.words, output{rule: idx, role: ro, canon: ph.canon})
					}
				}
				return nil
			}
			var err error
			switch r.Kind {
			case Existence:
				err = add(r.Terms, roleTerm, r.Inflect)
			case Substitution:
				keys := make([]string, 0, len(r.Replace))
				for k := range r.Replace {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					phrases, perr := expand(k, false, data)
					if perr != nil {
						err = fmt.Errorf("%w: rule %s: %w", ErrInvalid, r.ID, perr)
						break
					}
					for _, ph := range phrases {
						s.insert(ph.words, output{rule: idx, role: roleTerm, canon: ph.canon, repl: r.Replace[k]})
					}
				}
			case Cooccurrence:
				if err = add(r.A, roleA, r.Inflect); err == nil {
					err = add(r.B, roleB, r.Inflect)
				}
			}
			if err == nil {
				err = add(r.Exceptions, roleExcept, false)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

type phrase struct {
	words []string
	canon string
}

// expand turns one list entry into the word sequences it matches: "@name"
// includes a data file, "a|b" lists variants named after the first, and
// inflect adds the inflections of each variant's last word.
func expand(entry string, inflect bool, data func(string) ([]string, error)) ([]phrase, error) {
	entry = strings.TrimSpace(entry)
	if name, ok := strings.CutPrefix(entry, "@"); ok {
		lines, err := data(name)
		if err != nil {
			return nil, err
		}
		var out []phrase
		for _, l := range lines {
			ps, err := expand(l, inflect, data)
			if err != nil {
				return nil, err
			}
			out = append(out, ps...)
		}
		return out, nil
	}
	variants := strings.Split(entry, "|")
	canon := strings.TrimSpace(variants[0])
	var out []phrase
	for _, v := range variants {
		var words []string
		for _, t := range tokenize(v) {
			words = append(words, t.norm)
		}
		if len(words) == 0 {
			return nil, fmt.Errorf("term %q has no words", entry)
		}
		if !inflect {
			out = append(out, phrase{words, canon})
			continue
		}
		head := words[:len(words)-1]
		for _, f := range inflections(words[len(words)-1]) {
			out = append(out, phrase{append(append([]string{}, head...), f), canon})
		}
	}
	return out, nil
}

func (s *Set) insert(words []string, o output) {
	n := s.root
	for _, w := range words {
		next := n.kids[w]
		if next == nil {
			if n.kids == nil {
				n.kids = map[string]*node{}
			}
			next = &node{}
			n.kids[w] = next
		}
		n = next
	}
	for _, have := range n.out {
		if have.rule == o.rule && have.role == o.role {
			return
		}
	}
	n.out = append(n.out, o)
}
