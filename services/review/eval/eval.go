// Package eval is the labelled evaluation set of the review service's
// rule packs: passages of news copy, written for this purpose, each
// labelled with the categories it should raise (every other category it
// should not). Evaluate scans each passage with a rule set and reports
// precision and recall per category; a test holds the shipped packs to
// thresholds, and `go run ./services/review/cmd/revieweval` prints them.
package eval

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
	"newsroom.dev/services/review/rules"
)

//go:embed *.yaml
var files embed.FS

// Passage is one labelled piece of copy.
type Passage struct {
	ID string `yaml:"id"`
	// Field the text is scanned as: body unless set.
	Field string `yaml:"field"`
	Text  string `yaml:"text"`
	// Expect lists the categories the passage should raise; it should raise
	// no other.
	Expect []string `yaml:"expect"`
	// Avoid documents the categories a near-miss is written to tempt; they
	// are negatives like every category not in Expect.
	Avoid []string `yaml:"avoid"`
	File  string   `yaml:"-"`
}

// Passages returns the embedded evaluation set.
func Passages() ([]Passage, error) { return Read(files) }

// Read reads every *.yaml file of fsys as a list of passages.
func Read(fsys fs.FS) ([]Passage, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Passage
	ids := map[string]string{}
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var ps []Passage
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&ps); err != nil {
			return nil, fmt.Errorf("eval: %s: %w", name, err)
		}
		for _, p := range ps {
			p.File = name
			if p.ID == "" || strings.TrimSpace(p.Text) == "" {
				return nil, fmt.Errorf("eval: %s: a passage needs an id and text", name)
			}
			if prev, dup := ids[p.ID]; dup {
				return nil, fmt.Errorf("eval: %s: passage id %s already used in %s", name, p.ID, prev)
			}
			ids[p.ID] = name
			if p.Field == "" {
				p.Field = "body"
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// Score is one category's confusion counts over the set, by passage.
type Score struct {
	Category       string
	TP, FP, FN, TN int
}

// Precision is TP/(TP+FP), 1 when nothing was raised.
func (s Score) Precision() float64 {
	if s.TP+s.FP == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FP)
}

// Recall is TP/(TP+FN), 1 when nothing was expected.
func (s Score) Recall() float64 {
	if s.TP+s.FN == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FN)
}

// Error is a passage that raised a category it should not have (a false
// alarm) or missed one it should have raised.
type Error struct {
	Passage  Passage
	Category string
	// Missed is true for a miss, false for a false alarm.
	Missed bool
	// Rules lists the rules of the category that fired (false alarms).
	Rules []string
}

// Report is the result of an evaluation.
type Report struct {
	Passages int
	Scores   []Score // in category order
	Errors   []Error
}

// Evaluate scans every passage with set and scores each category.
func Evaluate(set *rules.Set, passages []Passage) Report {
	cats := set.Categories()
	slices.Sort(cats)
	scores := map[string]*Score{}
	for _, c := range cats {
		scores[c] = &Score{Category: c}
	}
	rep := Report{Passages: len(passages)}
	for _, p := range passages {
		raised := map[string][]string{}
		for _, f := range set.Scan([]rules.Field{{Name: p.Field, Base: p.Field, Text: p.Text}}) {
			raised[f.Rule.Category] = append(raised[f.Rule.Category], f.Rule.ID)
		}
		for _, c := range cats {
			want, got := slices.Contains(p.Expect, c), len(raised[c]) > 0
			s := scores[c]
			switch {
			case want && got:
				s.TP++
			case want:
				s.FN++
				rep.Errors = append(rep.Errors, Error{Passage: p, Category: c, Missed: true})
			case got:
				s.FP++
				rep.Errors = append(rep.Errors, Error{Passage: p, Category: c, Rules: raised[c]})
			default:
				s.TN++
			}
		}
	}
	for _, c := range cats {
		rep.Scores = append(rep.Scores, *scores[c])
	}
	return rep
}

// String renders the report as a table, with the errors after it.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d passages\n\n", r.Passages)
	fmt.Fprintf(&b, "%-22s %4s %4s %4s %4s  %9s  %6s\n", "category", "TP", "FP", "FN", "TN", "precision", "recall")
	for _, s := range r.Scores {
		fmt.Fprintf(&b, "%-22s %4d %4d %4d %4d  %9.3f  %6.3f\n", s.Category, s.TP, s.FP, s.FN, s.TN, s.Precision(), s.Recall())
	}
	return b.String()
}
