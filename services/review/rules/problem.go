package rules

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is what every error Load returns for a bad rule pack wraps.
var ErrInvalid = errors.New("rules: invalid rule pack")

// Problem is one thing wrong with a rule pack, where it is and why.
type Problem struct {
	// File is the pack or data file ("minors.yaml", "data/regions.txt").
	File string
	// Line is 1-based; 0 when the problem is with the file as a whole.
	Line int
	// Rule is the id of the rule concerned, if any.
	Rule   string
	Reason string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Rule != "" {
		b.WriteString("rule " + p.Rule + ": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// LoadError lists every problem Load found. errors.Is(err, ErrInvalid)
// holds for it.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "rules: invalid rule pack: " + strings.Join(lines, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *LoadError) Is(target error) bool { return target == ErrInvalid }

// problems collects Problems, up to a limit: one broken pack should not
// bury the first problem under a thousand consequences.
type problems struct {
	list []Problem
}

const maxProblems = 50

func (ps *problems) add(file string, line int, rule, format string, args ...any) {
	if len(ps.list) < maxProblems {
		ps.list = append(ps.list, Problem{File: file, Line: line, Rule: rule, Reason: fmt.Sprintf(format, args...)})
	}
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &LoadError{Problems: ps.list}
}
