package rules

// checkExamples runs every rule over its own examples, each scanned as the
// first field the rule applies to, and reports the rules that miss a match
// example or fire on a no_match one, at the example's line.
func (s *Set) checkExamples(ps *problems) {
	for _, r := range s.rules {
		for _, ex := range r.Examples.Match {
			if !s.Fires(r.ID, ex) {
				ps.add(r.File, r.exampleLine(ex), r.ID, "does not flag its example %q", ex)
			}
		}
		for _, ex := range r.Examples.NoMatch {
			if s.Fires(r.ID, ex) {
				ps.add(r.File, r.exampleLine(ex), r.ID, "flags its no_match example %q", ex)
			}
		}
	}
}

func (r *Rule) exampleLine(ex string) int {
	if l, ok := r.exLines[ex]; ok {
		return l
	}
	return r.line("examples")
}

// Fires reports whether rule id flags text, scanned as the first field the
// rule applies to.
func (s *Set) Fires(id, text string) bool {
	r := s.Rule(id)
	if r == nil {
		return false
	}
	base := "body"
	if len(r.Fields) > 0 {
		base = r.Fields[0]
	}
	for _, f := range s.Scan([]Field{{Name: base, Base: base, Text: text}}) {
		if f.Rule == r {
			return true
		}
	}
	return false
}

// CheckExamples runs every rule's examples and returns a problem for each
// that fails; Load has already refused a set with any.
func (s *Set) CheckExamples() []Problem {
	var ps problems
	s.checkExamples(&ps)
	return ps.list
}
