package articlefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

const full = `---
headline: Council passes budget
dek: A 7-2 vote after a long night
summary: >
  The council approved the budget
  with two amendments.
desk: city
byline: Jane Doe
slug: council-budget
kicker: City Hall
tags: [budget, council]
highlights:
  - Parks get more money
  - "Fees: unchanged"
takeaways:
  - quote: "We kept our promise."
    context: The mayor, after the vote.
  - quote: Not enough for buses.
id: art-42
published_at: 2024-05-01T09:30:00+02:00
---

The council voted on Tuesday.

## Analysis

It was close.
`

func TestParseFull(t *testing.T) {
	a, published, err := Parse([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	wantTime := time.Date(2024, 5, 1, 7, 30, 0, 0, time.UTC)
	want := &articlev1.Article{
		Id:       "art-42",
		Headline: "Council passes budget",
		Dek:      "A 7-2 vote after a long night",
		Summary:  "The council approved the budget with two amendments.",
		Desk:     "city",
		Byline:   "Jane Doe",
		Slug:     "council-budget",
		Kicker:   "City Hall",
		Tags:     []string{"budget", "council"},
		Highlights: []string{
			"Parks get more money",
			"Fees: unchanged",
		},
		Takeaways: []*articlev1.Takeaway{
			{Quote: "We kept our promise.", Context: "The mayor, after the vote."},
			{Quote: "Not enough for buses."},
		},
		Body:        "The council voted on Tuesday.\n\n## Analysis\n\nIt was close.",
		PublishedAt: timestamppb.New(wantTime),
	}
	if !proto.Equal(a, want) {
		t.Errorf("got  %v\nwant %v", a, want)
	}
	if !published.Equal(wantTime) {
		t.Errorf("published_at = %v, want %v", published, wantTime)
	}
}

func TestParseMinimal(t *testing.T) {
	in := "\uFEFF---\r\nheadline: 1984\r\ndesk: books\r\ntags:\r\n---  \r\n"
	a, published, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &articlev1.Article{Headline: "1984", Desk: "books"}
	if !proto.Equal(a, want) {
		t.Errorf("got %v, want %v", a, want)
	}
	if !published.IsZero() || a.PublishedAt != nil {
		t.Errorf("published_at set without the key: %v", published)
	}
}

// A "---" line in the body is a Markdown rule, not a delimiter, and a
// quoted "null" is text, not a missing value.
func TestParseBodyRuleAndQuotedNull(t *testing.T) {
	a, _, err := Parse([]byte("---\nheadline: \"null\"\ndesk: x\nbyline: ~\n---\nabove\n---\nbelow\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Headline != "null" || a.Byline != "" || a.Body != "above\n---\nbelow" {
		t.Errorf("got headline %q byline %q body %q", a.Headline, a.Byline, a.Body)
	}
}

func TestParseErrors(t *testing.T) {
	const ok = "headline: h\ndesk: d\n"
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"no front matter", "headline: h\n", 1, "must start with"},
		{"leading blank line", "\n---\n" + ok + "---\n", 1, "must start with"},
		{"empty file", "", 1, "must start with"},
		{"unclosed", "---\n" + ok + "body\n", 1, "never closed"},
		{"indented delimiter", "---\n" + ok + "  ---\n", 1, "never closed"},
		{"empty front matter", "---\n---\n", 1, "empty"},
		{"comment only", "---\n# nothing\n---\n", 1, "empty"},
		{"not a mapping", "---\n- a\n- b\n---\n", 2, "key: value"},
		{"scalar front matter", "---\njust text\n---\n", 2, "key: value"},
		{"syntax: bad indent", "---\n" + ok + "tags:\n  - a\n - b\n---\n", 6, "YAML syntax error"},
		{"syntax: unclosed flow list", "---\n" + ok + "tags: [a, b\n---\n", 4, "YAML syntax error"},
		{"syntax: colon in value", "---\nheadline: a: b\ndesk: d\n---\n", 2, "mapping values are not allowed"},
		{"syntax: tab indent", "---\nheadline: h\n\tdesk: d\n---\n", 3, "tab"},
		{"syntax: bad token", "---\n" + ok + "summary: @x\n---\n", 4, "cannot start any token"},
		{"syntax: stray mapping", "---\n" + ok + "  foo: x\n---\n", 4, "mapping values"},
		{"unknown alias", "---\nheadline: h\ndesk: *d\n---\n", 3, "*d has no anchor"},
		{"unknown key", "---\n" + ok + "author: x\n---\n", 4, `unknown key "author"`},
		{"typo suggests", "---\nheadlne: h\ndesk: d\n---\n", 2, `did you mean "headline"`},
		{"duplicate key", "---\n" + ok + "desk: e\n---\n", 4, "already set on line 3"},
		{"complex key", "---\n" + ok + "? [a]\n: b\n---\n", 4, "plain name"},
		{"missing headline", "---\ndesk: d\ntags: [a]\n---\n", 1, `missing required key "headline"`},
		{"missing desk", "---\nheadline: h\n---\n", 1, `missing required key "desk"`},
		{"empty headline", "---\nheadline:\ndesk: d\n---\n", 2, "headline must not be empty"},
		{"blank desk", "---\nheadline: h\ndesk: '  '\n---\n", 3, "desk must not be empty"},
		{"headline is a list", "---\nheadline: [a]\ndesk: d\n---\n", 2, "headline must be text, not a list"},
		{"multi-line headline", "---\nheadline: |\n  a\n  b\ndesk: d\n---\n", 2, "single line"},
		{"byline is a mapping", "---\n" + ok + "byline:\n  name: x\n---\n", 5, "byline must be text, not a mapping"},
		{"tags not a list", "---\n" + ok + "tags: economy\n---\n", 4, "tags must be a list"},
		{"tags mapping", "---\n" + ok + "tags: {a: b}\n---\n", 4, "tags must be a list"},
		{"empty tag", "---\n" + ok + "tags:\n  - a\n  -\n---\n", 6, "tags item 2 is empty"},
		{"nested tag list", "---\n" + ok + "tags: [a, [b]]\n---\n", 4, "tags item 2 must be text"},
		{"highlights scalar", "---\n" + ok + "highlights: one\n---\n", 4, "highlights must be a list"},
		{"takeaways scalar", "---\n" + ok + "takeaways: yes\n---\n", 4, "takeaways must be a list"},
		{"takeaway not mapping", "---\n" + ok + "takeaways:\n  - just a quote\n---\n", 5, "takeaways item 1 must have quote"},
		{"takeaway unknown key", "---\n" + ok + "takeaways:\n  - quote: q\n    who: x\n---\n", 6, `unknown key "who"`},
		{"takeaway without quote", "---\n" + ok + "takeaways:\n  - quote: q\n  - context: c\n---\n", 6, "takeaways item 2 has no quote"},
		{"takeaway duplicate key", "---\n" + ok + "takeaways:\n  - quote: q\n    quote: r\n---\n", 6, "set twice"},
		{"published_at not RFC 3339", "---\n" + ok + "published_at: 2024-05-01\n---\n", 4, "published_at \"2024-05-01\" is not an RFC 3339"},
		{"published_at nonsense", "---\n" + ok + "published_at: yesterday\n---\n", 4, "RFC 3339"},
		{"published_at year zero", "---\n" + ok + "published_at: 0000-01-01T00:00:00Z\n---\n", 4, "RFC 3339"},
		{"published_at list", "---\n" + ok + "published_at: [2024]\n---\n", 4, "published_at must be text"},
		{"invalid UTF-8 in body", "---\n" + ok + "---\n\nfine\nbad \xff here\n", 7, "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("parsed without error: %v", a)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			if e.Line != tc.line || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("got line %d %q; want line %d containing %q", e.Line, e.Msg, tc.line, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "articlefile: line ") {
				t.Errorf("error %q does not name the package and line", err)
			}
		})
	}
}

func TestParseFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "story.md")
	if err := os.WriteFile(path, []byte("---\nheadline: h\ndesk: d\nauthor: x\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := ParseFile(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":4: unknown key") {
		t.Errorf("got %v, want it to start with %s:4:", err, path)
	}
	if _, _, err := ParseFile(filepath.Join(t.TempDir(), "missing.md")); err == nil {
		t.Error("a missing file parsed")
	}
}

func TestFormatRoundTrip(t *testing.T) {
	a, _, err := Parse([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	out := Format(a)
	b, _, err := Parse(out)
	if err != nil {
		t.Fatalf("Format output does not parse: %v\n%s", err, out)
	}
	if !proto.Equal(a, b) {
		t.Errorf("round trip changed the article:\n%v\n%v\n%s", a, b, out)
	}
	if again := Format(b); string(again) != string(out) {
		t.Errorf("Format is not stable:\n%s\n---- vs ----\n%s", out, again)
	}
}

// Format writes keys in order, leaves empty ones out, and quotes values
// that YAML would otherwise read as something else.
func TestFormatOutput(t *testing.T) {
	a := &articlev1.Article{
		Headline: "Yes: no",
		Desk:     "null",
		Tags:     []string{"a, b", "true"},
		Summary:  "line one\nline two",
		Body:     "Body.",
		// Fields the format does not carry are dropped.
		Revision: 3,
		Status:   articlev1.Status_STATUS_READY,
	}
	got := string(Format(a))
	want := "---\n" +
		"headline: 'Yes: no'\n" +
		"summary: |-\n  line one\n  line two\n" +
		"desk: \"null\"\n" +
		"tags: ['a, b', \"true\"]\n" +
		"---\n\nBody.\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	b, _, err := Parse([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	a.Revision, a.Status = 0, 0
	if !proto.Equal(a, b) {
		t.Errorf("round trip: got %v, want %v", b, a)
	}
}

func TestFormatNoBody(t *testing.T) {
	got := string(Format(&articlev1.Article{Headline: "h", Desk: "d"}))
	if got != "---\nheadline: h\ndesk: d\n---\n" {
		t.Errorf("got %q", got)
	}
}
