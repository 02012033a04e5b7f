package events_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	_ "newsroom.dev/gen/newsroom/drafting/v1"
	_ "newsroom.dev/gen/newsroom/linking/v1"
	_ "newsroom.dev/gen/newsroom/publishing/v1"
	_ "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/events"
)

func TestID(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{events.ID("a1", 3, "submitted"), "a1/3/submitted"},
		{events.ID("a1", 3, "status", "7"), "a1/3/status/7"},
		{events.ID("a1", 3, "flag.decided", "f2", "1"), "a1/3/flag.decided/f2/1"},
		{events.ID("a1", 0, "created"), "a1/0/created"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	// Deterministic, and distinct for each part that differs.
	ids := map[string]bool{}
	for _, id := range []string{
		events.ID("a1", 1, "k"), events.ID("a2", 1, "k"), events.ID("a1", 2, "k"),
		events.ID("a1", 1, "j"), events.ID("a1", 1, "k", "1"), events.ID("a1", 1, "k", "2"),
	} {
		if ids[id] {
			t.Errorf("id %q made twice", id)
		}
		ids[id] = true
	}
	if events.ID("a1", 1, "k", "2") != events.ID("a1", 1, "k", "2") {
		t.Error("ID is not deterministic")
	}
}

// matches reports whether subject lies inside the NATS subject filter.
func matches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		switch {
		case tok == ">":
			return len(s) > i
		case i >= len(s):
			return false
		case tok != "*" && tok != s[i]:
			return false
		}
	}
	return len(f) == len(s)
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		f, s string
		want bool
	}{
		{"newsroom.drafting.>", "newsroom.drafting.article.created", true},
		{"newsroom.drafting.>", "newsroom.drafting", false},
		{"newsroom.drafting.>", "newsroom.review.article.cleared", false},
		{"newsroom.*.article.created", "newsroom.drafting.article.created", true},
		{"a.b", "a.b.c", false},
	} {
		if got := matches(tc.f, tc.s); got != tc.want {
			t.Errorf("matches(%q, %q) = %v", tc.f, tc.s, got)
		}
	}
}

var streams = map[string]string{
	"drafting":   events.StreamDrafting,
	"review":     events.StreamReview,
	"publishing": events.StreamPublishing,
	"linking":    events.StreamLinking,
}

func TestCatalogue(t *testing.T) {
	if len(events.Catalogue) == 0 {
		t.Fatal("empty catalogue")
	}
	subjects := map[string]bool{}
	for _, e := range events.Catalogue {
		if subjects[e.Subject] {
			t.Errorf("%s is catalogued twice", e.Subject)
		}
		subjects[e.Subject] = true
		if _, ok := streams[e.Publisher]; !ok {
			t.Errorf("%s: publisher %q owns no stream", e.Subject, e.Publisher)
		}
		// Each event lies in its publisher's stream, and in no other.
		for svc := range streams {
			in := false
			for _, f := range events.StreamSubjects(svc) {
				in = in || matches(f, e.Subject)
			}
			if in != (svc == e.Publisher) {
				t.Errorf("%s: in %s's stream = %v, publisher is %s", e.Subject, svc, in, e.Publisher)
			}
		}
		// The type is a generated message that starts with EventMeta.
		mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(e.Type))
		if err != nil {
			t.Errorf("%s: type %s: %v", e.Subject, e.Type, err)
			continue
		}
		if !strings.HasPrefix(e.Type, "newsroom."+e.Publisher+".") {
			t.Errorf("%s: type %s is not in the publisher's proto package", e.Subject, e.Type)
		}
		meta := mt.Descriptor().Fields().ByNumber(1)
		if meta == nil || meta.Message() == nil || meta.Message().FullName() != (&articlev1.EventMeta{}).ProtoReflect().Descriptor().FullName() {
			t.Errorf("%s: field 1 of %s is not EventMeta", e.Subject, e.Type)
		}
		for _, c := range e.Consumers {
			if _, ok := streams[c]; !ok {
				t.Errorf("%s: consumer %q is not a service", e.Subject, c)
			}
		}
		if e.Meaning == "" {
			t.Errorf("%s has no meaning", e.Subject)
		}
	}
	for _, sub := range []string{
		events.ArticleCreated, events.ArticleUpdated, events.ArticleSubmitted, events.ArticleWithdrawn,
		events.ArticleStatusChanged, events.ArticleFlagged, events.FlagDecided, events.ArticleCleared,
		events.ChangesRequested, events.ArticleScheduled, events.ArticlePublished, events.ArticleUnpublished,
		events.RelatedUpdated,
	} {
		if !subjects[sub] {
			t.Errorf("subject constant %s is not in the catalogue", sub)
		}
	}
}

// TestCatalogueMatchesDocs keeps the table in docs/architecture.md in step
// with the catalogue: the same subjects, message types, publishers and
// consumers (the docs may annotate a consumer in parentheses and write a
// dash for none).
func TestCatalogueMatchesDocs(t *testing.T) {
	raw, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ typ, publisher, consumers string }
	doc := map[string]row{}
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "| `newsroom.") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 6 {
			t.Errorf("malformed row: %s", line)
			continue
		}
		cell := func(i int) string { return strings.Trim(strings.TrimSpace(cells[i]), "`") }
		doc[cell(1)] = row{"newsroom." + cell(2), cell(3), consumers(cell(4))}
	}
	for _, e := range events.Catalogue {
		r, ok := doc[e.Subject]
		if !ok {
			t.Errorf("%s is not in docs/architecture.md", e.Subject)
			continue
		}
		if r.typ != e.Type || r.publisher != e.Publisher {
			t.Errorf("%s: docs say %s by %s, code says %s by %s", e.Subject, r.typ, r.publisher, e.Type, e.Publisher)
		}
		if code := strings.Join(e.Consumers, ", "); r.consumers != code {
			t.Errorf("%s: docs say consumers %q, code says %q", e.Subject, r.consumers, code)
		}
		delete(doc, e.Subject)
	}
	for s := range doc {
		t.Errorf("docs/architecture.md lists %s, which the catalogue does not", s)
	}
}

var parenthetical = regexp.MustCompile(`\s*\([^)]*\)`)

// consumers normalises a docs consumers cell: "drafting (revision log),
// publishing" is "drafting, publishing", and "— (desk)" is "".
func consumers(cell string) string {
	var out []string
	for _, c := range strings.Split(parenthetical.ReplaceAllString(cell, ""), ",") {
		if c = strings.TrimSpace(c); c != "" && c != "—" && c != "-" {
			out = append(out, c)
		}
	}
	return strings.Join(out, ", ")
}
