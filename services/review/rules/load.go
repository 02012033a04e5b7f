package rules

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// defaults is the rule set shipped with the service.
//
//go:embed *.yaml data/*.txt
var defaults embed.FS

// ErrInvalid wraps every problem Load finds in a rule pack.
var ErrInvalid = errors.New("rules: invalid rule pack")

// Default loads the packs embedded in the binary.
func Default() (*Set, error) { return Load(defaults) }

// LoadDir loads the packs in dir (*.yaml, with data files in dir/data).
func LoadDir(dir string) (*Set, error) { return Load(os.DirFS(dir)) }

// Load reads every *.yaml pack at the root of fsys, resolves "@name" data
// references against data/name.txt, compiles the set and runs every rule's
// examples: a pack whose rules do not do what their examples say is refused.
func Load(fsys fs.FS) (*Set, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	more, _ := fs.Glob(fsys, "*.yml")
	names = append(names, more...)
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no *.yaml packs found", ErrInvalid)
	}
	var packs []Pack
	for _, name := range names {
		p, err := readPack(fsys, name)
		if err != nil {
			return nil, err
		}
		packs = append(packs, p)
	}
	set, err := compile(packs, func(name string) ([]string, error) { return readData(fsys, name) })
	if err != nil {
		return nil, err
	}
	if errs := set.CheckExamples(); len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return set, nil
}

func readPack(fsys fs.FS, name string) (Pack, error) {
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Pack{}, err
	}
	var p Pack
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return Pack{}, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	if p.Category == "" {
		p.Category = strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml")
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
		if err := validate(r); err != nil {
			return Pack{}, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
		}
	}
	return p, nil
}

func validate(r *Rule) error {
	if r.ID == "" {
		return errors.New("a rule has no id")
	}
	if r.Severity == 0 {
		return fmt.Errorf("rule %s: severity is required", r.ID)
	}
	if r.Message == "" {
		return fmt.Errorf("rule %s: message is required", r.ID)
	}
	for _, f := range r.Fields {
		if !slices.Contains(Fields, f) {
			return fmt.Errorf("rule %s: unknown field %q (want one of %s)", r.ID, f, strings.Join(Fields, ", "))
		}
	}
	switch r.Kind {
	case Existence:
		if len(r.Terms) == 0 {
			return fmt.Errorf("rule %s: an existence rule needs terms", r.ID)
		}
	case Substitution:
		if len(r.Replace) == 0 {
			return fmt.Errorf("rule %s: a substitution rule needs replace", r.ID)
		}
		if r.Inflect {
			return fmt.Errorf("rule %s: list a substitution's inflected forms in replace instead of inflect", r.ID)
		}
	case Cooccurrence:
		if len(r.A) == 0 || len(r.B) == 0 {
			return fmt.Errorf("rule %s: a cooccurrence rule needs lists a and b", r.ID)
		}
	default:
		return fmt.Errorf("rule %s: unknown kind %q (want existence, substitution or cooccurrence)", r.ID, r.Kind)
	}
	if len(r.Examples.Match) == 0 {
		return fmt.Errorf("rule %s: at least one examples.match is required", r.ID)
	}
	return nil
}

// readData reads data/name.txt: one term per line ("a|b|c" for variants),
// blank lines and # comments ignored.
func readData(fsys fs.FS, name string) ([]string, error) {
	if name == "" || strings.ContainsAny(name, "/\\") || strings.Contains(name, "..") {
		return nil, fmt.Errorf("%w: bad data reference %q", ErrInvalid, "@"+name)
	}
	f, err := fsys.Open(path.Join("data", name+".txt"))
	if err != nil {
		return nil, fmt.Errorf("%w: data file for @%s: %v", ErrInvalid, name, err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out, sc.Err()
}
