// Package rules is the sensitivity-review engine. Rules are data: each
// category is a YAML rule pack (unverified_claim.yaml, …) and entity lists
// such as heads of state sit beside the packs in data/*.txt, so the standards
// desk can change what is flagged without a code change. A Set compiles every
// rule of every pack into one phrase matcher and scans an article's fields in
// a single pass per field.
package rules

import (
	"fmt"
	"strings"
)

// Severity says whether a flag holds an article back. A revision is cleared
// when no WARNING or BLOCKER flag is open.
type Severity int

const (
	Info Severity = iota + 1
	Warning
	Blocker
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "INFO"
	case Warning:
		return "WARNING"
	case Blocker:
		return "BLOCKER"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// UnmarshalYAML reads INFO, WARNING or BLOCKER.
func (s *Severity) UnmarshalYAML(unmarshal func(any) error) error {
	var v string
	if err := unmarshal(&v); err != nil {
		return err
	}
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "INFO":
		*s = Info
	case "WARNING":
		*s = Warning
	case "BLOCKER":
		*s = Blocker
	default:
		return fmt.Errorf("rules: unknown severity %q (want INFO, WARNING or BLOCKER)", v)
	}
	return nil
}

// Kind is how a rule matches.
type Kind string

const (
	// Existence flags any of Terms (whole words, case-insensitive).
	Existence Kind = "existence"
	// Substitution flags each key of Replace and suggests its value.
	Substitution Kind = "substitution"
	// Cooccurrence flags a sentence holding a term of A and a term of B.
	Cooccurrence Kind = "cooccurrence"
)

// Fields a rule may apply to. Repeated fields (takeaways, highlights) are
// scanned item by item under names like "takeaways[2].quote".
var Fields = []string{"headline", "dek", "summary", "body", "takeaways", "highlights", "kicker"}

// Guideline is the style-guide entry a rule enforces.
type Guideline struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
}

// Examples are sentences a rule must and must not flag; a test runs them
// for every rule, and Load refuses a pack whose examples fail.
type Examples struct {
	Match   []string `yaml:"match"`
	NoMatch []string `yaml:"no_match"`
}

// Rule is one entry of a rule pack.
//
// A term is a word or phrase; "a|b|c" lists variants of one term whose
// canonical name is the first ("invasion|invaded|invading"), and "@name"
// includes every line of data/name.txt.
type Rule struct {
	ID          string    `yaml:"id"`
	Category    string    `yaml:"category"`
	Severity    Severity  `yaml:"severity"`
	Kind        Kind      `yaml:"kind"`
	Message     string    `yaml:"message"`
	Rationale   string    `yaml:"rationale"`
	Guideline   Guideline `yaml:"guideline"`
	Suggestions []string  `yaml:"suggestions"`
	// Fields the rule scans; empty means all.
	Fields []string `yaml:"fields"`

	// Terms for existence rules.
	Terms []string `yaml:"terms"`
	// Inflect also matches plural, -ed and -ing forms of each term's last
	// word (a small stemmer run in reverse).
	Inflect bool `yaml:"inflect"`
	// Replace maps term to suggested replacement, for substitution rules.
	Replace map[string]string `yaml:"replace"`
	// A and B are the two lists of a cooccurrence rule.
	A []string `yaml:"a"`
	B []string `yaml:"b"`
	// Exceptions are phrases inside which a match does not count
	// ("chairman mao").
	Exceptions []string `yaml:"exceptions"`
	// OutsideQuotes skips matches inside quotation marks: a direct quote
	// is not the newsroom's own wording.
	OutsideQuotes bool `yaml:"outside_quotes"`

	Examples Examples `yaml:"examples"`
}

// appliesTo reports whether the rule scans base (a field name without index).
func (r *Rule) appliesTo(base string) bool {
	if len(r.Fields) == 0 {
		return true
	}
	for _, f := range r.Fields {
		if f == base {
			return true
		}
	}
	return false
}

// NoteTemplate is the reader-facing note a category proposes when it flags
// an article. {a}, {b} and {terms} are replaced with the canonical names of
// what matched (cooccurrence list A, list B, and any term).
type NoteTemplate struct {
	Title string `yaml:"title"`
	Text  string `yaml:"text"`
	// Priority orders notes when several categories propose one; the
	// highest names the combined note.
	Priority int `yaml:"priority"`
}

// Pack is one YAML file: a category, defaults for its rules, and the rules.
type Pack struct {
	Category  string        `yaml:"category"`
	Guideline Guideline     `yaml:"guideline"`
	Fields    []string      `yaml:"fields"`
	Note      *NoteTemplate `yaml:"note"`
	Rules     []Rule        `yaml:"rules"`
}
