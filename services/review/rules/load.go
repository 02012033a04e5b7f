package rules

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// defaults is the rule set shipped with the service.
//
//go:embed *.yaml data/*.txt
var defaults embed.FS

// Embedded returns the packs shipped in the binary, for tools that want to
// read or copy them.
func Embedded() fs.FS { return defaults }

var (
	defaultOnce sync.Once
	shippedSet  *Set
	shippedErr  error
)

// Default returns the packs embedded in the binary, compiled once: a Set
// is immutable, so every caller may share it.
func Default() (*Set, error) {
	defaultOnce.Do(func() { shippedSet, shippedErr = Load(defaults) })
	return shippedSet, shippedErr
}

// LoadDir loads the packs in dir (*.yaml, with data files in dir/data).
func LoadDir(dir string) (*Set, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	return Load(os.DirFS(dir))
}

// Load reads every *.yaml pack at the root of fsys, resolves "@name" data
// references against data/name.txt, compiles the set and runs every rule's
// examples: a pack whose rules do not do what their examples say is refused.
// A refused set comes with a *LoadError naming file, line and reason of
// each problem.
func Load(fsys fs.FS) (*Set, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	more, _ := fs.Glob(fsys, "*.yml")
	names = append(names, more...)
	sort.Strings(names)
	var ps problems
	if len(names) == 0 {
		ps.add(".", 0, "", "no *.yaml rule packs found")
		return nil, ps.err()
	}
	digest := sha256.New()
	var packs []*Pack
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			ps.add(name, 0, "", "%v", err)
			continue
		}
		if len(raw) > maxFileBytes {
			ps.add(name, 0, "", "the pack is %d bytes, more than %d", len(raw), maxFileBytes)
			continue
		}
		fmt.Fprintf(digest, "%s\x00%d\x00", name, len(raw))
		digest.Write(raw)
		if p, ok := parsePack(name, raw, &ps); ok {
			packs = append(packs, p)
		}
	}
	data, err := readAllData(fsys, digest)
	if err != nil {
		ps.add("data", 0, "", "%v", err)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	set := compile(packs, data, &ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	set.checkExamples(&ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	set.digest = hex.EncodeToString(digest.Sum(nil))
	set.packs = len(packs)
	return set, nil
}

// maxFileBytes bounds a pack or data file.
const maxFileBytes = 4 << 20

// dataLine is one term of a data file.
type dataLine struct {
	text string
	line int
}

// readAllData reads every data/*.txt file (one term per line, "a|b|c" for
// variants, blank lines and # comments ignored) and adds it to the digest.
func readAllData(fsys fs.FS, digest interface{ Write([]byte) (int, error) }) (map[string][]dataLine, error) {
	names, err := fs.Glob(fsys, "data/*.txt")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := map[string][]dataLine{}
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if len(raw) > maxFileBytes {
			return nil, fmt.Errorf("%s is %d bytes, more than %d", name, len(raw), maxFileBytes)
		}
		fmt.Fprintf(digest, "%s\x00%d\x00", name, len(raw))
		_, _ = digest.Write(raw)
		var lines []dataLine
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for n := 1; sc.Scan(); n++ {
			l := strings.TrimSpace(sc.Text())
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			lines = append(lines, dataLine{l, n})
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		out[strings.TrimSuffix(path.Base(name), ".txt")] = lines
	}
	return out, nil
}

var (
	packKeys      = yamlKeys(Pack{})
	ruleKeys      = yamlKeys(Rule{})
	guidelineKeys = yamlKeys(Guideline{})
	examplesKeys  = yamlKeys(Examples{})
	noteKeys      = yamlKeys(NoteTemplate{})
)

// yamlKeys lists the keys a struct accepts, from its yaml tags.
func yamlKeys(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// checkKeys reports keys of mapping n that are unknown or repeated.
func checkKeys(file, rule string, n *yaml.Node, known []string, ps *problems) bool {
	if n.Kind != yaml.MappingNode {
		ps.add(file, n.Line, rule, "want a mapping of %s", strings.Join(known, ", "))
		return false
	}
	ok := true
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(known, k.Value) {
			ps.add(file, k.Line, rule, "unknown key %q (want one of %s)", k.Value, strings.Join(known, ", "))
			ok = false
		}
		if first, dup := seen[k.Value]; dup {
			ps.add(file, k.Line, rule, "key %q repeats the one on line %d", k.Value, first)
			ok = false
		}
		seen[k.Value] = k.Line
	}
	return ok
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// decode decodes n into v and reports failures with their line.
func decode(file, rule string, n *yaml.Node, v any, ps *problems) bool {
	err := n.Decode(v)
	if err == nil {
		return true
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, msg := range te.Errors {
			line, reason := n.Line, msg
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				reason = m[2]
			}
			ps.add(file, line, rule, "%s", reason)
		}
		return false
	}
	ps.add(file, n.Line, rule, "%v", err)
	return false
}

// parsePack reads one pack. It walks the YAML nodes itself rather than
// decoding the file in one go, so that every problem can name its line.
func parsePack(file string, raw []byte, ps *problems) (p *Pack, ok bool) {
	before := len(ps.list)
	defer func() {
		if r := recover(); r != nil {
			ps.add(file, 0, "", "malformed YAML: %v", r)
			p, ok = nil, false
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		line := 0
		reason := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			reason = m[2]
		}
		ps.add(file, line, "", "%s", reason)
		return nil, false
	}
	if len(doc.Content) == 0 {
		ps.add(file, 0, "", "the pack is empty")
		return nil, false
	}
	root := doc.Content[0]
	if !checkKeys(file, "", root, packKeys, ps) {
		return nil, false
	}
	p = &Pack{file: file}
	var rulesNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "category":
			decode(file, "", v, &p.Category, ps)
		case "guideline":
			if checkKeys(file, "", v, guidelineKeys, ps) {
				decode(file, "", v, &p.Guideline, ps)
			}
		case "fields":
			decode(file, "", v, &p.Fields, ps)
		case "note":
			p.noteLine = k.Line
			if checkKeys(file, "", v, noteKeys, ps) {
				decode(file, "", v, &p.Note, ps)
			}
		case "rules":
			rulesNode = v
		}
	}
	if p.Category == "" {
		p.Category = strings.TrimSuffix(strings.TrimSuffix(file, ".yaml"), ".yml")
	}
	if bad := badName(p.Category); bad != "" {
		ps.add(file, 0, "", "category %q %s", p.Category, bad)
	}
	for _, f := range p.Fields {
		if fieldBit(f) == 0 {
			ps.add(file, 0, "", "unknown field %q (want one of %s)", f, strings.Join(Fields, ", "))
		}
	}
	if p.Note != nil && strings.TrimSpace(p.Note.Text) == "" {
		ps.add(file, p.noteLine, "", "note.text is required")
	}
	if rulesNode == nil || rulesNode.Kind != yaml.SequenceNode || len(rulesNode.Content) == 0 {
		line := 0
		if rulesNode != nil {
			line = rulesNode.Line
		}
		ps.add(file, line, "", "a pack needs a list of rules")
		return nil, false
	}
	for _, item := range rulesNode.Content {
		if r, ok := parseRule(file, item, ps); ok {
			p.Rules = append(p.Rules, *r)
		}
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.Category == "" {
			r.Category = p.Category
		}
		if r.Guideline == (Guideline{}) {
			r.Guideline = p.Guideline
		}
		if len(r.Fields) == 0 {
			r.Fields = p.Fields
		}
		validate(r, ps)
	}
	return p, len(ps.list) == before
}

func parseRule(file string, item *yaml.Node, ps *problems) (*Rule, bool) {
	r := &Rule{File: file, Line: item.Line, keyLines: map[string]int{}, exLines: map[string]int{}}
	// The id first, so that every later problem can name the rule.
	if item.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(item.Content); i += 2 {
			if item.Content[i].Value == "id" && item.Content[i+1].Kind == yaml.ScalarNode {
				r.ID = item.Content[i+1].Value
			}
		}
	}
	if !checkKeys(file, r.ID, item, ruleKeys, ps) {
		return nil, false
	}
	ok := true
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		r.keyLines[k.Value] = k.Line
		switch k.Value {
		case "guideline":
			if !checkKeys(file, r.ID, v, guidelineKeys, ps) {
				ok = false
				continue
			}
		case "examples":
			if !checkKeys(file, r.ID, v, examplesKeys, ps) {
				ok = false
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				for _, ex := range v.Content[j+1].Content {
					r.exLines[ex.Value] = ex.Line
				}
			}
		}
		// One key at a time, so a failure is reported on its own line.
		one := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: k.Line, Content: []*yaml.Node{k, v}}
		if !decode(file, r.ID, one, r, ps) {
			ok = false
		}
	}
	return r, ok
}

// badName explains what is wrong with an id or category, or returns "".
func badName(s string) string {
	if s == "" {
		return "is empty"
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return "may hold only a-z, 0-9, '_', '-' and '.'"
		}
	}
	return ""
}

// kindKeys are the keys that mean something for each kind.
var kindKeys = map[Kind][]string{
	Existence:    {"terms", "inflect", "with", "unless", "scope"},
	Substitution: {"replace", "with", "unless", "scope"},
	Occurrence:   {"terms", "inflect", "max", "scope", "with", "unless"},
	Conditional:  {"a", "b", "inflect", "scope", "with"},
	Cooccurrence: {"a", "b", "inflect", "scope", "with", "unless"},
	Pattern:      {"pattern", "prefilter", "window", "scope", "with", "unless"},
}

// kindOnly are the keys only some kinds use.
var kindOnly = []string{"terms", "inflect", "replace", "a", "b", "max", "scope", "pattern", "prefilter", "window", "with", "unless"}

func validate(r *Rule, ps *problems) {
	bad := func(key, format string, args ...any) { ps.add(r.File, r.line(key), r.ID, format, args...) }
	if r.ID == "" {
		bad("id", "a rule needs an id")
	} else if why := badName(r.ID); why != "" {
		bad("id", "id %q %s", r.ID, why)
	}
	if r.Severity == 0 {
		bad("severity", "severity is required (INFO, WARNING or BLOCKER)")
	}
	if strings.TrimSpace(r.Message) == "" {
		bad("message", "message is required")
	}
	for _, f := range r.Fields {
		b := fieldBit(f)
		if b == 0 {
			bad("fields", "unknown field %q (want one of %s)", f, strings.Join(Fields, ", "))
		}
		r.fieldMask |= b
	}
	keys, ok := kindKeys[r.Kind]
	if !ok {
		names := make([]string, len(Kinds))
		for i, k := range Kinds {
			names[i] = string(k)
		}
		bad("kind", "unknown kind %q (want %s)", r.Kind, strings.Join(names, ", "))
		return
	}
	for _, k := range kindOnly {
		if _, set := r.keyLines[k]; set && !slices.Contains(keys, k) {
			bad(k, "%s means nothing to a %s rule", k, r.Kind)
		}
	}
	switch r.Scope {
	case "", Sentence, Paragraph, FieldScope, Article:
	default:
		bad("scope", "unknown scope %q (want sentence, paragraph, field or article)", r.Scope)
	}
	switch r.Kind {
	case Existence:
		if len(r.Terms) == 0 {
			bad("terms", "an existence rule needs terms")
		}
	case Substitution:
		if len(r.Replace) == 0 {
			bad("replace", "a substitution rule needs replace")
		}
	case Occurrence:
		if len(r.Terms) == 0 {
			bad("terms", "an occurrence rule needs terms")
		}
		if r.Max < 1 {
			bad("max", "an occurrence rule needs max, the number of terms allowed in one %s (at least 1)", r.scope())
		}
	case Conditional, Cooccurrence:
		if len(r.A) == 0 || len(r.B) == 0 {
			bad("a", "a %s rule needs lists a and b", r.Kind)
		}
	case Pattern:
		if r.Pattern == "" {
			bad("pattern", "a pattern rule needs a pattern")
			break
		}
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			bad("pattern", "pattern does not compile: %v", err)
			break
		}
		if re.MatchString("") {
			bad("pattern", "pattern matches the empty string")
			break
		}
		r.re = re
		r.find = newFinder(re)
		r.need = needOf(r.Pattern)
		if r.Window < 0 || r.Window > 1000 {
			bad("window", "window must be between 0 and 1000 bytes")
		}
		if len(r.Prefilter) == 0 {
			bad("prefilter", "a pattern rule needs a prefilter: the literals one of which must be in a %s for the pattern to run there", r.scope())
		}
	}
	if len(r.Examples.Match) == 0 {
		bad("examples", "at least one examples.match is required")
	}
}
