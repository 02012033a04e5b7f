package review

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/services/review/rules"
)

// refused checks that err is InvalidArgument with a BadRequest detail
// whose violations each name one of fields and say why, and returns the
// fields named.
func refused(t *testing.T, err error, fields ...string) []string {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("refused with %v: %v", st.Code(), err)
	}
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		if b, ok := d.(*errdetails.BadRequest); ok {
			br = b
		}
	}
	if br == nil || len(br.GetFieldViolations()) == 0 {
		t.Fatalf("%v: no BadRequest naming the field", err)
	}
	var named []string
	for _, fv := range br.GetFieldViolations() {
		if !slices.Contains(fields, fv.GetField()) || fv.GetDescription() == "" {
			t.Fatalf("violation %q (%q), want one of %v with a reason", fv.GetField(), fv.GetDescription(), fields)
		}
		named = append(named, fv.GetField())
	}
	return named
}

// plainText: valid UTF-8 without control characters (but newline and tab
// where multiline).
func plainText(t *testing.T, field, s string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("accepted invalid UTF-8 in %s: %q", field, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			t.Fatalf("accepted control character %U in %s: %q", r, field, s)
		}
	}
}

// FuzzValidateDecisions: GetReview, ApproveFlag, DismissFlag and
// RequestChanges never panic on any ids and texts, refuse what they
// refuse as InvalidArgument naming the field, and pass on only non-empty
// ids and trimmed, non-empty reasons and notes.
func FuzzValidateDecisions(f *testing.F) {
	f.Add("a1", "f1", "false alarm", "please cite the source")
	f.Add("", "", "", "")
	f.Add("a1", "", " \t\n", "\u00a0")
	f.Add("a b*>", "f\x00", "\xff\xfe", "  note  ")
	f.Add("x", "y", "\u2028", strings.Repeat("ü", 5000))
	f.Fuzz(func(t *testing.T, articleID, flagID, reason, note string) {
		idOK := natsx.ValidKey(articleID)
		if err := requireArticleID(articleID); err != nil {
			refused(t, err, "article_id")
			if idOK {
				t.Fatalf("refused article id %q", articleID)
			}
		} else if !idOK {
			t.Fatalf("accepted article id %q, which cannot be a key", articleID)
		}

		if err := validateDecision(articleID, flagID); err != nil {
			switch refused(t, err, "article_id", "flag_id")[0] {
			case "article_id":
				if idOK {
					t.Fatalf("refused article id %q", articleID)
				}
			case "flag_id":
				if !idOK || flagID != "" && validFlagID(flagID) {
					t.Fatalf("blamed flag_id %q (article %q)", flagID, articleID)
				}
			}
		} else if !idOK || flagID == "" || len(flagID) > MaxFlagID || strings.ContainsFunc(flagID, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			t.Fatalf("accepted article %q flag %q", articleID, flagID)
		}

		// A reason, a note on an approval and a request for changes are
		// read by people: trimmed, bounded, plain text or refused.
		texts := []struct {
			field    string
			max      int
			required bool
			check    func() (string, error)
			in       string
		}{
			{"reason", MaxReason, true, func() (string, error) {
				return dismissReason(&reviewv1.DismissFlagRequest{ArticleId: articleID, FlagId: flagID, Reason: reason})
			}, reason},
			{"note", MaxReason, false, func() (string, error) {
				return approveNote(&reviewv1.ApproveFlagRequest{ArticleId: articleID, FlagId: flagID, Note: note})
			}, note},
			{"note", MaxChangesNote, true, func() (string, error) {
				return changesNote(&reviewv1.RequestChangesRequest{ArticleId: "a1", Note: note})
			}, note},
		}
		for _, c := range texts {
			got, err := c.check()
			if err != nil {
				refused(t, err, c.field)
				tr := strings.TrimSpace(c.in)
				bad := !utf8.ValidString(tr) || utf8.RuneCountInString(tr) > c.max ||
					strings.ContainsFunc(tr, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' })
				if !bad && !(c.required && tr == "") {
					t.Fatalf("refused %s %q: %v", c.field, c.in, err)
				}
				continue
			}
			if got != strings.TrimSpace(c.in) || c.required && got == "" {
				t.Fatalf("%s %q accepted as %q", c.field, c.in, got)
			}
			plainText(t, c.field, got, true)
			if n := utf8.RuneCountInString(got); n > c.max {
				t.Fatalf("accepted a %s of %d characters", c.field, n)
			}
		}
		if _, err := changesNote(&reviewv1.RequestChangesRequest{ArticleId: articleID, Note: "n"}); (err != nil) == idOK {
			t.Fatalf("changesNote article %q: %v", articleID, err)
		}
	})
}

// FuzzValidateSensitivityNote: whatever SetSensitivityNote accepts is a
// note readers can be shown (valid UTF-8, within the limits, no control
// characters but newline and tab in the text, a text whenever there is a
// title) or no note at all; everything else is InvalidArgument naming
// the field.
func FuzzValidateSensitivityNote(f *testing.F) {
	f.Add("a1", "Content warning", "This story describes violence.\n\nReader discretion.", false)
	f.Add("a1", "", "", true)
	f.Add("a1", "Title only", "", false)
	f.Add("a1", "x", "y", true)
	f.Add("", "t\x1b[31m", "text\r\n", false)
	f.Add("a1", strings.Repeat("t", MaxNoteTitle+1), strings.Repeat("é", MaxNoteText+1), false)
	f.Add("a1", " \u0085 ", "\xff", false)
	f.Fuzz(func(t *testing.T, articleID, title, text string, accept bool) {
		req := &reviewv1.SetSensitivityNoteRequest{ArticleId: articleID, AcceptProposed: accept,
			Note: &articlev1.SensitivityNote{Title: title, Text: text}}
		gotTitle, gotText, empty, err := sensitivityNote(req)
		if err != nil {
			field := refused(t, err, "article_id", "accept_proposed", "note.text", "note.title")[0]
			if field == "article_id" && articleID != "" {
				t.Fatalf("refused article id %q", articleID)
			}
			return
		}
		if articleID == "" {
			t.Fatal("accepted an empty article_id")
		}
		if empty != (gotTitle == "" && gotText == "") {
			t.Fatalf("empty %v for title %q text %q", empty, gotTitle, gotText)
		}
		if accept && !empty {
			t.Fatal("accepted both a note and accept_proposed")
		}
		if !empty && gotText == "" {
			t.Fatalf("accepted a note without text (title %q)", gotTitle)
		}
		if gotTitle != strings.TrimSpace(title) || gotText != strings.TrimSpace(text) {
			t.Fatalf("note changed beyond trimming: %q/%q → %q/%q", title, text, gotTitle, gotText)
		}
		plainText(t, "note.title", gotTitle, false)
		plainText(t, "note.text", gotText, true)
		if n := utf8.RuneCountInString(gotTitle); n > MaxNoteTitle {
			t.Fatalf("accepted a title of %d characters", n)
		}
		if n := utf8.RuneCountInString(gotText); n > MaxNoteText {
			t.Fatalf("accepted a text of %d characters", n)
		}
	})
}

// FuzzValidateRequests decodes arbitrary bytes as each request message (so
// unknown fields, absent sub-messages and odd encodings all come up) and
// runs the validators the handlers run: no panic, and every refusal is
// InvalidArgument naming a field.
func FuzzValidateRequests(f *testing.F) {
	for _, m := range []proto.Message{
		&reviewv1.SetSensitivityNoteRequest{ArticleId: "a", Note: &articlev1.SensitivityNote{Title: "t", Text: "x"}},
		&reviewv1.DismissFlagRequest{ArticleId: "a", FlagId: "f", Reason: "r"},
		&reviewv1.CheckTextRequest{Article: &articlev1.Article{Headline: "h"}},
		&reviewv1.RequestChangesRequest{ArticleId: "a", Note: "n"},
	} {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var note reviewv1.SetSensitivityNoteRequest
		if proto.Unmarshal(data, &note) == nil {
			if _, _, _, err := sensitivityNote(&note); err != nil {
				refused(t, err, "article_id", "accept_proposed", "note.text", "note.title")
			}
		}
		var dismiss reviewv1.DismissFlagRequest
		if proto.Unmarshal(data, &dismiss) == nil {
			if _, err := dismissReason(&dismiss); err != nil {
				refused(t, err, "reason")
			}
			if err := validateDecision(dismiss.GetArticleId(), dismiss.GetFlagId()); err != nil {
				refused(t, err, "article_id", "flag_id")
			}
		}
		var changes reviewv1.RequestChangesRequest
		if proto.Unmarshal(data, &changes) == nil {
			if _, err := changesNote(&changes); err != nil {
				refused(t, err, "article_id", "note")
			}
		}
		var check reviewv1.CheckTextRequest
		if proto.Unmarshal(data, &check) == nil {
			if err := validateCheckText(&check); err != nil {
				refused(t, err, "article")
				if check.GetArticle() != nil {
					t.Fatal("refused a CheckText with an article")
				}
			} else if check.GetArticle() == nil {
				t.Fatal("accepted a CheckText without an article")
			}
		}
	})
}

// FuzzReloadRefusal loads an arbitrary rule pack (and data file) the way
// Reload does and turns a refusal into the status Reload returns: never a
// panic; an invalid set is InvalidArgument with one BadRequest violation
// per problem, each naming a file of the folder (with its line) and why.
func FuzzReloadRefusal(f *testing.F) {
	f.Add("category: test\nrules:\n  - id: test.word\n    severity: WARNING\n    kind: word\n    message: m\n    words: [darn]\n    examples:\n      match: [\"darn it\"]\n      clean: [\"fine\"]\n", "")
	f.Add("category: [\nrules: {", "")
	f.Add("rules:\n  - id: x\n    kind: pattern\n    pattern: '(['\n", "a\nb\n")
	f.Add("category: c\nrules:\n  - id: c.d\n    kind: word\n    words: ['@missing']\n", "\xff\x00")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, yaml, data string) {
		if len(yaml) > 1<<14 || len(data) > 1<<14 {
			return // packs are small; keeps each input cheap
		}
		fsys := fstest.MapFS{
			"fuzz.yaml":     {Data: []byte(yaml)},
			"data/fuzz.txt": {Data: []byte(data)},
		}
		set, err := rules.Load(fsys)
		if err == nil {
			if set == nil || set.Digest() == "" {
				t.Fatal("a loaded set without a digest")
			}
			return
		}
		st := status.Convert(loadStatus("/rules", err))
		var le *rules.LoadError
		if !errors.As(err, &le) {
			if st.Code() != codes.FailedPrecondition {
				t.Fatalf("non-pack error %v became %v", err, st.Code())
			}
			return
		}
		var want []string
		for _, p := range le.Problems {
			if p.Line > 0 {
				want = append(want, fmt.Sprintf("%s:%d", p.File, p.Line))
			} else {
				want = append(want, p.File)
			}
		}
		fields := refused(t, st.Err(), want...)
		if len(fields) != len(le.Problems) {
			t.Fatalf("%d problems, %d violations", len(le.Problems), len(fields))
		}
		for _, p := range le.Problems {
			if p.File != "." && p.File != "fuzz.yaml" && p.File != "data/fuzz.txt" && !strings.HasPrefix(p.File, "data/") {
				t.Fatalf("problem names file %q, not one of the folder", p.File)
			}
		}
		if !strings.Contains(st.Message(), le.Problems[0].Reason) {
			t.Fatalf("message %q does not give the first problem %q", st.Message(), le.Problems[0].Reason)
		}
	})
}
