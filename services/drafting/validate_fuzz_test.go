package drafting

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
)

// FuzzValidate feeds the article validator arbitrary text in every field.
// It must never panic; what it accepts must meet every documented limit
// (valid UTF-8, no control characters but newline and tab in multi-line
// fields, lengths, desk/slug/tag formats) and be stable under a second
// normalization (an accepted article sent back unchanged stays the same);
// what it refuses must come back as InvalidArgument with a BadRequest
// naming each field under "article".
func FuzzValidate(f *testing.F) {
	f.Add("City council approves budget", "metro", "", "Ana Ruiz", "The dek.", "A summary.\nTwo lines.", "Body\n\n## Analysis\n\nMore.", "Kicker.", "city hall", "Bus lanes", "We will build it.", "The mayor.")
	f.Add(" ", "", "Not--a slug", "by\x00line", "dek\r\n", "\t", strings.Repeat("é", 300), "\u202e", "no!", "", "", "ctx")
	f.Add("Bad \xff UTF-8", "City Desk", "ok-slug", "", "", "", "\r\r\n", "", " x ", " ", "q\x1b[31m", "")
	f.Add(strings.Repeat("h", MaxHeadline+1), strings.Repeat("d", MaxDesk+1), strings.Repeat("s", MaxSlug+1), "", "", "", "", "", strings.Repeat("t", MaxTag+1), "", "", "")
	f.Add("<script>alert(1)</script>", "world", "a-b-c", "&amp;", "\u2028", "\ufeff", "![x](javascript:alert(1))", "", "tag_ok-1", "h", "\u0085", "\u00ad")
	f.Fuzz(func(t *testing.T, headline, desk, slug, byline, dek, summary, body, kicker, tag, highlight, quote, context string) {
		in := &articlev1.Article{
			Headline: headline, Desk: desk, Slug: slug, Byline: byline, Dek: dek, Summary: summary, Body: body, Kicker: kicker,
			Tags:       []string{tag, tag + tag},
			Highlights: []string{highlight},
			Takeaways:  []*articlev1.Takeaway{{Quote: quote, Context: context}},
		}
		checkValidation(t, in)
	})
}

// FuzzValidateRequest decodes arbitrary bytes as create and update
// requests, so repeated fields (tags, takeaways, highlights) come in any
// number, and validates them as CreateArticle and UpdateArticle do.
func FuzzValidateRequest(f *testing.F) {
	seed := func(m proto.Message) {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed(&draftingv1.CreateArticleRequest{Article: &articlev1.Article{Headline: "h", Desk: "d", Tags: []string{"a", "b"}}})
	seed(&draftingv1.UpdateArticleRequest{Id: "x", ExpectedRevision: 2, Article: &articlev1.Article{
		Headline: "h", Desk: "d", Takeaways: []*articlev1.Takeaway{{Quote: "q"}, {}}, Highlights: []string{"", "x"},
		Status: articlev1.Status_STATUS_PUBLISHED, CreatedBy: "mallory", Revision: 99,
	}})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var req draftingv1.UpdateArticleRequest
		if err := proto.Unmarshal(data, &req); err != nil || req.GetArticle() == nil {
			return
		}
		if len(req.GetArticle().GetTakeaways())+len(req.GetArticle().GetTags())+len(req.GetArticle().GetHighlights()) > 500 {
			return // keeps each input cheap; the limits are far below
		}
		out := checkValidation(t, req.GetArticle())
		if out != nil && (out.Status != 0 || out.Revision != 0 || out.CreatedBy != "" || out.Id != "") {
			t.Fatalf("editable let a caller set server fields: %v", out)
		}
	})
}

// checkValidation normalizes and validates in, checks the invariants, and
// returns the normalized article if it was accepted.
func checkValidation(t *testing.T, in *articlev1.Article) *articlev1.Article {
	t.Helper()
	a := editable(in)
	var v violations
	validateArticle(a, "article", &v)

	var again violations
	validateArticle(editable(in), "article", &again)
	if len(again) != len(v) {
		t.Fatalf("validation is not deterministic: %d then %d violations", len(v), len(again))
	}

	if len(v) > 0 {
		st := status.Convert(v.err())
		if st.Code() != codes.InvalidArgument {
			t.Fatalf("refused with %v", st.Code())
		}
		var br *errdetails.BadRequest
		for _, d := range st.Details() {
			if b, ok := d.(*errdetails.BadRequest); ok {
				br = b
			}
		}
		if br == nil || len(br.GetFieldViolations()) != len(v) {
			t.Fatalf("BadRequest detail %v does not list the %d violations", br, len(v))
		}
		for _, fv := range br.GetFieldViolations() {
			if !strings.HasPrefix(fv.GetField(), "article") || fv.GetDescription() == "" {
				t.Fatalf("violation %q: %q", fv.GetField(), fv.GetDescription())
			}
		}
		return nil
	}

	// Accepted: every limit holds.
	single := map[string]string{"headline": a.Headline, "byline": a.Byline, "kicker": a.Kicker, "desk": a.Desk, "slug": a.Slug}
	multi := map[string]string{"dek": a.Dek, "summary": a.Summary, "body": a.Body}
	for _, h := range a.Highlights {
		single["highlight"] = h
		checkText(t, "highlight", h, false)
	}
	for _, tk := range a.Takeaways {
		checkText(t, "quote", tk.Quote, true)
		checkText(t, "context", tk.Context, true)
		if strings.TrimSpace(tk.Quote) == "" {
			t.Fatal("accepted a takeaway without a quote")
		}
	}
	for name, s := range single {
		checkText(t, name, s, false)
	}
	for name, s := range multi {
		checkText(t, name, s, true)
	}
	switch {
	case strings.TrimSpace(a.Headline) == "" || utf8.RuneCountInString(a.Headline) > MaxHeadline:
		t.Fatalf("accepted headline %q", a.Headline)
	case !deskRE.MatchString(a.Desk) || len(a.Desk) > MaxDesk:
		t.Fatalf("accepted desk %q", a.Desk)
	case a.Slug != "" && (!slugRE.MatchString(a.Slug) || len(a.Slug) > MaxSlug):
		t.Fatalf("accepted slug %q", a.Slug)
	case len(a.Body) > MaxBodyBytes:
		t.Fatalf("accepted a body of %d bytes", len(a.Body))
	case len(a.Tags) > MaxTags || len(a.Takeaways) > MaxTakeaways || len(a.Highlights) > MaxHighlights:
		t.Fatalf("accepted %d tags, %d takeaways, %d highlights", len(a.Tags), len(a.Takeaways), len(a.Highlights))
	}
	for _, tg := range a.Tags {
		if !tagRE.MatchString(tg) || utf8.RuneCountInString(tg) > MaxTag || tg != strings.TrimSpace(tg) {
			t.Fatalf("accepted tag %q", tg)
		}
	}
	if b := editable(a); !proto.Equal(a, b) {
		t.Fatalf("normalizing an accepted article again changed it:\n%v\n%v", a, b)
	}
	return a
}

func checkText(t *testing.T, field, s string, multiline bool) {
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

// FuzzSlugify: a derived slug is empty or a valid slug within MaxSlug, and
// deriving it again from itself changes nothing.
func FuzzSlugify(f *testing.F) {
	for _, s := range []string{"City council approves budget", "Ærøskøbing & Straße", "北京", "--a--b--", strings.Repeat("word ", 40), "Don't stop", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slug := Slugify(s)
		if slug == "" {
			return
		}
		if !slugRE.MatchString(slug) || len(slug) > MaxSlug {
			t.Fatalf("Slugify(%q) = %q", s, slug)
		}
		if again := Slugify(slug); again != slug {
			t.Fatalf("Slugify(%q) = %q, but Slugify(%q) = %q", s, slug, slug, again)
		}
	})
}
