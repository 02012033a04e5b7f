package rules

import (
	"sort"
	"strings"
)

// Note is a proposed reader-facing sensitivity note.
type Note struct {
	Title string
	Text  string
}

// maxNames bounds how many names a note lists.
const maxNames = 5

// Note proposes a sensitivity note for findings: each category whose pack
// has a note template and that raised a WARNING or BLOCKER contributes its
// text, with the names that matched filled in; the highest-priority one
// gives the title. It returns nil when no category warrants a note.
func (s *Set) Note(findings []Finding) *Note {
	type agg struct {
		tmpl                 *NoteTemplate
		order                int
		a, b, terms, context []string
	}
	byCat := map[string]*agg{}
	for _, f := range findings {
		t := s.notes[f.Rule.Category]
		if t == nil || f.Rule.Severity < Warning {
			continue
		}
		g := byCat[f.Rule.Category]
		if g == nil {
			g = &agg{tmpl: t, order: len(byCat)}
			byCat[f.Rule.Category] = g
		}
		for _, n := range f.A {
			g.a = appendNew(g.a, n)
		}
		for _, n := range f.B {
			g.b = appendNew(g.b, n)
		}
		for _, n := range f.Terms {
			g.terms = appendNew(g.terms, n)
		}
		for _, n := range f.Context {
			g.context = appendNew(g.context, n)
		}
	}
	if len(byCat) == 0 {
		return nil
	}
	list := make([]*agg, 0, len(byCat))
	for _, g := range byCat {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].tmpl.Priority != list[j].tmpl.Priority {
			return list[i].tmpl.Priority > list[j].tmpl.Priority
		}
		return list[i].order < list[j].order
	})
	fill := func(g *agg, tmpl string) (string, bool) {
		complete := true
		var pairs []string
		for _, p := range []struct {
			key   string
			names []string
		}{{"{a}", g.a}, {"{b}", g.b}, {"{terms}", g.terms}, {"{context}", g.context}} {
			if strings.Contains(tmpl, p.key) && len(p.names) == 0 {
				complete = false
			}
			pairs = append(pairs, p.key, joinNames(p.names))
		}
		return strings.TrimSpace(strings.NewReplacer(pairs...).Replace(tmpl)), complete
	}
	texts := make([]string, 0, len(list))
	for _, g := range list {
		t, _ := fill(g, g.tmpl.Text)
		texts = append(texts, t)
	}
	top := list[0]
	title, ok := fill(top, top.tmpl.Title)
	if !ok && top.tmpl.FallbackTitle != "" {
		title, _ = fill(top, top.tmpl.FallbackTitle)
	}
	return &Note{Title: title, Text: strings.Join(texts, " ")}
}

// joinNames writes "a", "a and b" or "a, b and c", at most maxNames of them.
func joinNames(names []string) string {
	if len(names) > maxNames {
		names = append(names[:maxNames:maxNames], "others")
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
