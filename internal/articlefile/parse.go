package articlefile

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"
	"gopkg.in/yaml.v3"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

// delimiter opens and closes the front matter, alone on its line.
const delimiter = "---"

// Keys lists the front matter keys in the order Format writes them.
var Keys = []string{
	"headline", "dek", "summary", "desk", "byline", "slug", "kicker",
	"tags", "highlights", "takeaways", "id", "published_at",
}

// ParseFile reads and parses the article file at path; its errors name
// the file as well as the line.
func ParseFile(path string) (*articlev1.Article, time.Time, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("articlefile: %w", err)
	}
	a, published, err := Parse(data)
	if e, ok := err.(*Error); ok {
		e.File = path
	}
	return a, published, err
}

// Parse reads an article file. It returns the article with the fields the
// file sets (id and published_at included, for archive imports), and the
// time the story was first published, or the zero time if the file does
// not say. Every error is an *Error naming the line at fault.
func Parse(data []byte) (*articlev1.Article, time.Time, error) {
	front, body, err := split(data)
	if err != nil {
		return nil, time.Time{}, err
	}
	p := &parser{a: &articlev1.Article{Body: body}}
	if err := p.front(front); err != nil {
		return nil, time.Time{}, err
	}
	return p.a, p.published, nil
}

// split separates the front matter from the body. The front matter always
// starts on line 2 of the file, which is what node line numbers are
// offset by.
func split(data []byte) (front []byte, body string, err error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	if !utf8.Valid(data) {
		bad := len(data)
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				bad = i
				break
			}
			i += n
		}
		return nil, "", errorf(1+bytes.Count(data[:bad], []byte("\n")), "the file is not valid UTF-8")
	}
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	if !isDelimiter(first) {
		return nil, "", errorf(1, "missing front matter: the file must start with a %q line", delimiter)
	}
	for off := 0; off < len(rest); {
		line, _, _ := bytes.Cut(rest[off:], []byte("\n"))
		if isDelimiter(line) {
			after := min(off+len(line)+1, len(rest))
			return rest[:off], strings.TrimSpace(string(rest[after:])), nil
		}
		off += len(line) + 1
	}
	return nil, "", errorf(1, "the front matter opened here is never closed: add a %q line after it", delimiter)
}

func isDelimiter(line []byte) bool {
	return string(bytes.TrimRight(line, " \t")) == delimiter
}

// frontLine is the file line of the front matter's first line.
const frontLine = 2

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

type parser struct {
	a         *articlev1.Article
	published time.Time
}

func (p *parser) front(src []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return syntaxError(err, src)
	}
	if len(doc.Content) == 0 {
		return errorf(1, "the front matter is empty: %q and %q are required", "headline", "desk")
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return errorf(line(m), "the front matter must be \"key: value\" lines, not a %s", kind(m))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return errorf(line(k), "a key must be a plain name, not a %s", kind(k))
		}
		name := k.Value
		if prev, dup := seen[name]; dup {
			return errorf(line(k), "key %q is already set on line %d", name, prev)
		}
		seen[name] = line(k)
		if err := p.field(name, k, v); err != nil {
			return err
		}
	}
	for _, req := range []string{"headline", "desk"} {
		if _, ok := seen[req]; !ok {
			return errorf(1, "missing required key %q", req)
		}
	}
	return nil
}

// field stores one key's value.
func (p *parser) field(name string, k, v *yaml.Node) error {
	a := p.a
	var err error
	switch name {
	case "headline":
		a.Headline, err = required(name, v)
	case "desk":
		a.Desk, err = required(name, v)
	case "dek":
		a.Dek, err = text(name, v, true)
	case "summary":
		a.Summary, err = text(name, v, true)
	case "byline":
		a.Byline, err = text(name, v, false)
	case "slug":
		a.Slug, err = text(name, v, false)
	case "kicker":
		a.Kicker, err = text(name, v, false)
	case "id":
		a.Id, err = text(name, v, false)
	case "tags":
		a.Tags, err = list(name, v, false)
	case "highlights":
		a.Highlights, err = list(name, v, true)
	case "takeaways":
		a.Takeaways, err = takeaways(v)
	case "published_at":
		err = p.publishedAt(v)
	default:
		msg := fmt.Sprintf("unknown key %q", name)
		if near := closest(name); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		} else {
			msg += " (known keys: " + strings.Join(Keys, ", ") + ")"
		}
		return errorf(line(k), "%s", msg)
	}
	return err
}

func (p *parser) publishedAt(v *yaml.Node) error {
	s, err := text("published_at", v, false)
	if err != nil || s == "" {
		return err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err == nil {
		err = timestamppb.New(t).CheckValid()
	}
	if err != nil {
		return errorf(line(v), "published_at %q is not an RFC 3339 time such as 2024-05-01T09:30:00Z", s)
	}
	p.published = t
	p.a.PublishedAt = timestamppb.New(t)
	return nil
}

// text reads a scalar as the text the author wrote, trimmed; null is "".
// Numbers and booleans are taken as written, so "headline: 1984" works.
func text(name string, v *yaml.Node, multiline bool) (string, error) {
	v = deref(v)
	if v.Kind != yaml.ScalarNode {
		return "", errorf(line(v), "%s must be text, not a %s", name, kind(v))
	}
	if v.ShortTag() == "!!null" {
		return "", nil
	}
	s := strings.TrimSpace(v.Value)
	if !multiline && strings.ContainsAny(s, "\r\n") {
		return "", errorf(line(v), "%s must be a single line", name)
	}
	return s, nil
}

func required(name string, v *yaml.Node) (string, error) {
	s, err := text(name, v, false)
	if err == nil && s == "" {
		err = errorf(line(v), "%s must not be empty", name)
	}
	return s, err
}

// list reads a sequence of non-empty texts; null is an empty list.
func list(name string, v *yaml.Node, multiline bool) ([]string, error) {
	v = deref(v)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, errorf(line(v), "%s must be a list such as [a, b] or \"- a\" lines, not a %s", name, kind(v))
	}
	var out []string
	for i, item := range v.Content {
		what := fmt.Sprintf("%s item %d", name, i+1)
		s, err := text(what, item, multiline)
		if err != nil {
			return nil, err
		}
		if s == "" {
			return nil, errorf(line(item), "%s is empty", what)
		}
		out = append(out, s)
	}
	return out, nil
}

// takeaways reads a sequence of {quote, context} mappings.
func takeaways(v *yaml.Node) ([]*articlev1.Takeaway, error) {
	v = deref(v)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, errorf(line(v), "takeaways must be a list of {quote, context} entries, not a %s", kind(v))
	}
	var out []*articlev1.Takeaway
	for i, item := range v.Content {
		item = deref(item)
		what := fmt.Sprintf("takeaways item %d", i+1)
		if item.Kind != yaml.MappingNode {
			return nil, errorf(line(item), "%s must have quote and context keys, not be a %s", what, kind(item))
		}
		t := &articlev1.Takeaway{}
		seen := map[string]bool{}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, val := item.Content[j], item.Content[j+1]
			if k.Kind != yaml.ScalarNode || (k.Value != "quote" && k.Value != "context") {
				return nil, errorf(line(k), "%s: unknown key %q (want quote and context)", what, k.Value)
			}
			if seen[k.Value] {
				return nil, errorf(line(k), "%s: key %q is set twice", what, k.Value)
			}
			seen[k.Value] = true
			s, err := text(what+" "+k.Value, val, true)
			if err != nil {
				return nil, err
			}
			if k.Value == "quote" {
				t.Quote = s
			} else {
				t.Context = s
			}
		}
		if t.Quote == "" {
			return nil, errorf(line(item), "%s has no quote", what)
		}
		out = append(out, t)
	}
	return out, nil
}

// deref follows an alias (*name) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// line converts a node's front matter line to a file line.
func line(n *yaml.Node) int { return n.Line + frontLine - 1 }

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// syntaxError turns a yaml.v3 parse error into one at the file line.
// yaml.v3 counts lines from 1 for scanner errors but from 0 for parser
// errors (and leaves the number out when it is 0), and names no line for
// an unknown alias, so the number is corrected here by kind of problem.
func syntaxError(err error, src []byte) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		if parserProblems[m[2]] {
			n++
		}
		hint := ""
		if m[2] == "found unexpected end of stream" {
			hint = " (is a quote left open?)"
		}
		return errorf(n+frontLine-1, "YAML syntax error: %s%s", m[2], hint)
	}
	if m := unknownAlias.FindStringSubmatch(msg); m != nil {
		for i, l := range strings.Split(string(src), "\n") {
			if strings.Contains(l, "*"+m[1]) {
				return errorf(i+frontLine, "%s has no anchor &%s defined before it", "*"+m[1], m[1])
			}
		}
	}
	return errorf(frontLine, "YAML syntax error: %s", msg)
}

var unknownAlias = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// parserProblems are the yaml.v3 messages that come from its parser, whose
// line numbers count from 0.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// closest returns the known key within two edits of name, if any, to
// suggest a fix for a typo.
func closest(name string) string {
	best, bestD := "", 3
	for _, k := range Keys {
		if d := distance(strings.ToLower(name), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = slices.Min([]int{prev[j] + 1, cur[j-1] + 1, prev[j-1] + cost})
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
