package rules

import "fmt"

// CheckExamples runs every rule over its own examples, each scanned as the
// first field the rule applies to, and reports the rules that miss a match
// example or fire on a no_match one.
func (s *Set) CheckExamples() []error {
	var errs []error
	for _, r := range s.rules {
		for _, ex := range r.Examples.Match {
			if !s.Fires(r.ID, ex) {
				errs = append(errs, fmt.Errorf("rule %s: does not flag its example %q", r.ID, ex))
			}
		}
		for _, ex := range r.Examples.NoMatch {
			if s.Fires(r.ID, ex) {
				errs = append(errs, fmt.Errorf("rule %s: flags its no_match example %q", r.ID, ex))
			}
		}
	}
	return errs
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
	for _, f := range s.scanField(Field{Name: base, Base: base, Text: text}) {
		if f.Rule == r {
			return true
		}
	}
	return false
}
