// Package rules is the sensitivity-review engine. Rules are data: each
// category is a YAML rule pack (unverified_claim.yaml, …) and entity lists
// such as heads of state sit beside the packs in data/*.txt, so the standards
// desk can change what is flagged without a code change.
//
// A Set compiles every literal phrase of every rule into one Aho–Corasick
// automaton over bytes (ASCII case folded, whitespace and hyphen runs folded
// into one gap, typographic apostrophes made straight), scans each field of
// an article once, checks word boundaries only where a phrase ends, and then
// evaluates the rules on the few matches it found. Regular expressions run
// only inside the sentences a pattern rule's literal prefilter picked out.
package rules

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
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
func (s *Severity) UnmarshalYAML(n *yaml.Node) error {
	var v string
	if err := n.Decode(&v); err != nil {
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
		return fmt.Errorf("unknown severity %q (want INFO, WARNING or BLOCKER)", v)
	}
	return nil
}

// Kind is how a rule matches. The kinds follow Vale's styles.
type Kind string

const (
	// Existence flags any of Terms.
	Existence Kind = "existence"
	// Substitution flags each key of Replace and suggests its value.
	Substitution Kind = "substitution"
	// Occurrence flags Terms when more than Max of them fall in one scope
	// ("more than two anonymous attributions in the article").
	Occurrence Kind = "occurrence"
	// Conditional flags a term of A whose scope holds no term of B ("an
	// allegation without attribution in the sentence", "a suicide mention
	// without support information in the article").
	Conditional Kind = "conditional"
	// Cooccurrence flags a scope holding a term of A and a term of B ("a
	// head of state and a war in one sentence").
	Cooccurrence Kind = "cooccurrence"
	// Pattern flags matches of a Go regular expression (RE2 syntax), run
	// only over the scopes that hold one of its Prefilter literals.
	Pattern Kind = "pattern"
)

// Kinds lists every kind, for messages.
var Kinds = []Kind{Existence, Substitution, Occurrence, Conditional, Cooccurrence, Pattern}

// Scope is the stretch of text an occurrence count, a conditional, a
// cooccurrence, a pattern or an unless list looks at.
type Scope string

const (
	Sentence  Scope = "sentence"
	Paragraph Scope = "paragraph"
	// FieldScope is one field (one takeaway quote, one highlight).
	FieldScope Scope = "field"
	// Article is every field the rule applies to.
	Article Scope = "article"
)

// Fields a rule may apply to. Repeated fields (takeaways, highlights) are
// scanned item by item under names like "takeaways[2].quote".
var Fields = []string{"headline", "dek", "summary", "body", "takeaways", "highlights", "kicker"}

// IsField reports whether name is one of Fields.
func IsField(name string) bool { return fieldBit(name) != 0 }

// fieldBit is the bit of a base field name in a rule's field mask, 0 if
// the name is not a field.
func fieldBit(base string) uint8 {
	switch base {
	case "headline":
		return 1
	case "dek":
		return 2
	case "summary":
		return 4
	case "body":
		return 8
	case "takeaways":
		return 16
	case "highlights":
		return 32
	case "kicker":
		return 64
	}
	return 0
}

// Guideline is the style-guide entry a rule enforces.
type Guideline struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
}

// Examples are texts a rule must and must not flag; a test runs them for
// every rule, and Load refuses a pack whose examples fail.
type Examples struct {
	Match   []string `yaml:"match"`
	NoMatch []string `yaml:"no_match"`
}

// Rule is one entry of a rule pack.
//
// A term is a word or phrase of letters, digits and apostrophes; any run of
// spaces, line breaks and hyphens in the text matches the space between its
// words, and case does not matter. "a|b|c" lists variants of one term
// whose canonical name is the first ("invasion|invaded|invading"), and
// "@name" includes every line of data/name.txt.
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

	// Terms of an existence or occurrence rule.
	Terms []string `yaml:"terms"`
	// Inflect also matches plural, -ed and -ing forms of each term's last
	// word (a small stemmer run in reverse).
	Inflect bool `yaml:"inflect"`
	// Replace maps term to suggested replacement, for substitution rules.
	Replace map[string]string `yaml:"replace"`
	// A and B are the two lists of a cooccurrence or conditional rule.
	A []string `yaml:"a"`
	B []string `yaml:"b"`
	// Max is the number of terms an occurrence rule allows in one scope.
	Max int `yaml:"max"`
	// Scope of an occurrence, conditional, cooccurrence, pattern or
	// unless: sentence (the default, article for occurrence), paragraph,
	// field or article.
	Scope Scope `yaml:"scope"`
	// Pattern is the regular expression of a pattern rule.
	Pattern string `yaml:"pattern"`
	// Prefilter lists the literals a pattern rule needs: the expression
	// runs only over scopes that hold one. Words and phrases are matched by
	// the automaton like terms; an entry without letters or digits ("@")
	// is searched for as it is. Load adds what it can work out from the
	// expression itself: how many digits and which bytes any match holds,
	// so a scope without them is skipped without running it.
	Prefilter []string `yaml:"prefilter"`
	// Window, for a pattern rule, runs the expression only over this many
	// bytes either side of each prefilter hit (within its scope), for
	// patterns whose prefilter is part of what they match. 0 runs it over
	// the whole scope.
	Window int `yaml:"window"`
	// With keeps only matches whose scope also holds one of these terms (a
	// relative's name in a sentence about a crime or a death).
	With []string `yaml:"with"`
	// Unless drops a match whose scope holds one of these terms (a phone
	// number in a sentence naming a helpline).
	Unless []string `yaml:"unless"`
	// Exceptions are phrases inside which a match does not count
	// ("chairman mao", "killer whale").
	Exceptions []string `yaml:"exceptions"`
	// OutsideQuotes skips matches inside quotation marks: a direct quote
	// is not the newsroom's own wording.
	OutsideQuotes bool `yaml:"outside_quotes"`

	Examples Examples `yaml:"examples"`

	// File and Line say where the rule is defined.
	File string `yaml:"-"`
	Line int    `yaml:"-"`

	idx       int
	fieldMask uint8 // 0: every field
	re        *regexp.Regexp
	find      *finder        // runs re, faster
	symbols   []string       // prefilter entries searched for as they are
	need      need           // what any match of the pattern holds
	keyLines  map[string]int // line of each key, for problems
	exLines   map[string]int // line of each example
}

// appliesTo reports whether the rule scans fields with this bit.
func (r *Rule) appliesTo(bit uint8) bool { return r.fieldMask == 0 || r.fieldMask&bit != 0 }

// scope is the rule's scope with its kind's default.
func (r *Rule) scope() Scope {
	if r.Scope != "" {
		return r.Scope
	}
	if r.Kind == Occurrence {
		return Article
	}
	return Sentence
}

// line is where key is set in the rule, or the rule's own line.
func (r *Rule) line(key string) int {
	if l, ok := r.keyLines[key]; ok {
		return l
	}
	return r.Line
}

// NoteTemplate is the reader-facing note a category proposes when it raises
// a WARNING or BLOCKER flag. {a}, {b} and {terms} are replaced with the
// canonical names of what matched (list A, list B, and the other kinds'
// terms); {context} with the canonical names of the Context terms found
// anywhere in the article.
type NoteTemplate struct {
	Title string `yaml:"title"`
	// FallbackTitle is used when Title names a placeholder nothing filled.
	FallbackTitle string `yaml:"fallback_title"`
	Text          string `yaml:"text"`
	// Context lists terms that name what the note is about ("@regions").
	Context []string `yaml:"context"`
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

	file     string
	noteLine int
}
