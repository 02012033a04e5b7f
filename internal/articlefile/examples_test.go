package articlefile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// Every file in examples/ parses, round-trips through Format, and the
// four stories still show what they are there to show.
func TestExamples(t *testing.T) {
	dir := filepath.Join("..", "..", "examples")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	parsed := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		a, _, err := ParseFile(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if a.Body == "" || a.Summary == "" || a.Slug == "" || len(a.Tags) == 0 {
			t.Errorf("%s: an example should fill body, summary, slug and tags", path)
		}
		b, _, err := Parse(Format(a))
		if err != nil || !proto.Equal(a, b) {
			t.Errorf("%s: round trip: %v", path, err)
		}
		parsed[e.Name()] = a.Headline + "\n" + a.Summary + "\n" + a.Body
		switch e.Name() {
		case "council-budget.md":
			if !strings.Contains(a.Body, "\n## Analysis\n") || len(a.Takeaways) == 0 || len(a.Highlights) == 0 {
				t.Errorf("%s: needs an Analysis section, takeaways and highlights", path)
			}
		}
	}
	if len(parsed) < 4 {
		t.Fatalf("%d examples, want at least 4", len(parsed))
	}
	for name, want := range map[string][]string{
		"ceasefire-talks.md":        {"reportedly", "has not been independently confirmed", "ceasefire"},
		"council-budget.md":         {"parking", "budget"},
		"council-budget-parking.md": {"parking", "budget"},
		"space-agency-chairman.md":  {"chairman", "mankind"},
	} {
		text, ok := parsed[name]
		if !ok {
			t.Errorf("example %s is missing", name)
		}
		for _, w := range want {
			if !strings.Contains(strings.ToLower(text), w) {
				t.Errorf("%s: does not mention %q", name, w)
			}
		}
	}
}
