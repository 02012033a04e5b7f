package drafting

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
)

func TestValidateFields(t *testing.T) {
	many := func(n int, s string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	cases := []struct {
		name string
		edit func(a *articlev1.Article)
		want []string // violated fields; nil for a valid article
	}{
		{"valid", func(*articlev1.Article) {}, nil},
		{"valid at every limit", func(a *articlev1.Article) {
			a.Headline = strings.Repeat("é", MaxHeadline)
			a.Desk = strings.Repeat("d", MaxDesk)
			a.Byline = strings.Repeat("b", MaxByline)
			a.Dek = strings.Repeat("x", MaxDek)
			a.Summary = strings.Repeat("x", MaxSummary)
			a.Kicker = strings.Repeat("k", MaxKicker)
			a.Body = strings.Repeat("y", MaxBodyBytes)
			a.Slug = strings.Repeat("s", MaxSlug)
			a.Tags = many(MaxTags, strings.Repeat("т", MaxTag))
			a.Highlights = many(MaxHighlights, strings.Repeat("h", MaxHighlightText))
			a.Takeaways = nil
			for range MaxTakeaways {
				a.Takeaways = append(a.Takeaways, &articlev1.Takeaway{Quote: strings.Repeat("q", MaxTakeawayText), Context: strings.Repeat("c", MaxTakeawayText)})
			}
		}, nil},
		{"multi-line fields keep newlines and tabs", func(a *articlev1.Article) {
			a.Body, a.Summary, a.Dek = "a\n\tb", "a\nb", "a\r\nb"
			a.Takeaways[0].Quote = "line\nline"
		}, nil},
		{"missing required", func(a *articlev1.Article) {
			a.Headline, a.Desk = "  ", ""
			a.Takeaways = []*articlev1.Takeaway{{Quote: "ok"}, {Quote: "", Context: "no quote"}}
		}, []string{"article.desk", "article.headline", "article.takeaways[1].quote"}},
		{"too long", func(a *articlev1.Article) {
			a.Headline = strings.Repeat("é", MaxHeadline+1)
			a.Desk = strings.Repeat("d", MaxDesk+1)
			a.Byline = strings.Repeat("b", MaxByline+1)
			a.Dek = strings.Repeat("x", MaxDek+1)
			a.Summary = strings.Repeat("x", MaxSummary+1)
			a.Kicker = strings.Repeat("k", MaxKicker+1)
			a.Body = strings.Repeat("y", MaxBodyBytes+1)
			a.Slug = strings.Repeat("s", MaxSlug+1)
			a.Takeaways[0].Context = strings.Repeat("c", MaxTakeawayText+1)
			a.Highlights = []string{strings.Repeat("h", MaxHighlightText+1)}
			a.Tags = []string{strings.Repeat("t", MaxTag+1)}
		}, []string{
			"article.body", "article.byline", "article.dek", "article.desk", "article.headline", "article.highlights[0]",
			"article.kicker", "article.slug", "article.summary", "article.tags[0]", "article.takeaways[0].context",
		}},
		{"too many", func(a *articlev1.Article) {
			a.Tags = many(MaxTags+1, "t")
			a.Highlights = many(MaxHighlights+1, "h")
			for range MaxTakeaways {
				a.Takeaways = append(a.Takeaways, &articlev1.Takeaway{Quote: "q"})
			}
		}, []string{"article.highlights", "article.tags", "article.takeaways"}},
		{"bad formats", func(a *articlev1.Article) {
			a.Desk = "city desk"
			a.Slug = "Not--a slug"
			a.Tags = []string{"ok tag", "naïve_ok-2", "no!", ""}
			a.Highlights = []string{"fine", " "}
		}, []string{"article.desk", "article.highlights[1]", "article.slug", "article.tags[2]", "article.tags[3]"}},
		{"control characters", func(a *articlev1.Article) {
			a.Headline = "tab\tin headline"
			a.Byline = "bell\a"
			a.Kicker = "new\nline"
			a.Body = "escape \x1b[31m"
			a.Summary = "nul \x00"
			a.Takeaways[0].Context = "c1 \u0085"
			a.Highlights = []string{"del \x7f"}
		}, []string{
			"article.body", "article.byline", "article.headline", "article.highlights[0]", "article.kicker",
			"article.summary", "article.takeaways[0].context",
		}},
		{"invalid UTF-8", func(a *articlev1.Article) {
			a.Headline = "bad \xff"
			a.Body = "bad \xc3"
			a.Tags = []string{"\xfe"}
		}, []string{"article.body", "article.headline", "article.tags[0]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := article("A headline", "Metro")
			c.edit(in)
			var v violations
			validateArticle(editable(in), "article", &v)
			var got []string
			for _, fv := range v {
				got = append(got, fv.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("violations %v, want %v\n%v", got, c.want, v)
			}
			if c.want == nil && v.err() != nil {
				t.Errorf("err = %v for a valid article", v.err())
			}
		})
	}
}

func TestEditableNormalizes(t *testing.T) {
	in := article("H", " Metro-North ")
	in.Body = "a\r\nb"
	in.Tags = []string{" x "}
	out := editable(in)
	if out.Desk != "metro-north" || out.Body != "a\nb" || out.Tags[0] != "x" {
		t.Errorf("editable = %v", out)
	}
	// Output-only fields are not taken from a request.
	in.Status = articlev1.Status_STATUS_PUBLISHED
	in.Revision, in.PublishedRevision, in.CreatedBy = 9, 9, "mallory"
	if out := editable(in); out.Status != 0 || out.Revision != 0 || out.PublishedRevision != 0 || out.CreatedBy != "" {
		t.Errorf("editable copied output-only fields: %v", out)
	}
}

// TestValidationOverGRPC: every violation arrives in the BadRequest detail,
// and the message names them.
func TestValidationOverGRPC(t *testing.T) {
	e := newEnv(t)
	bad := article("", "bad desk!")
	bad.Takeaways = append(bad.Takeaways, &articlev1.Takeaway{}, &articlev1.Takeaway{}, &articlev1.Takeaway{}, &articlev1.Takeaway{Quote: "ok", Context: "\a"})
	bad.Tags = []string{"fine", "<script>"}
	_, err := e.client.CreateArticle(e.ctx, &draftingv1.CreateArticleRequest{Article: bad}, e.writer)
	want := []string{"article.desk", "article.headline", "article.tags[1]", "article.takeaways[1].quote",
		"article.takeaways[2].quote", "article.takeaways[3].quote", "article.takeaways[4].context"}
	if got := badFields(t, err); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	msg := status.Convert(err).Message()
	for _, f := range []string{"article.headline: is required", "article.takeaways[3].quote", "article.desk"} {
		if !strings.Contains(msg, f) {
			t.Errorf("message %q does not mention %q", msg, f)
		}
	}
	_, err = e.client.CreateArticle(e.ctx, &draftingv1.CreateArticleRequest{}, e.writer)
	if got := badFields(t, err); !slices.Equal(got, []string{"article"}) {
		t.Errorf("fields %v", got)
	}

	a := e.create("Valid", "metro")
	_, err = e.client.UpdateArticle(e.ctx, &draftingv1.UpdateArticleRequest{Id: a.Id, Article: bad}, e.writer)
	if got := badFields(t, err); !slices.Equal(got, append([]string{"article.desk"}, append(want[1:], "expected_revision")...)) {
		t.Errorf("update fields %v", got)
	}
	if got := e.get(a.Id); got.Revision != 1 {
		t.Errorf("an invalid update changed the article: %v", got)
	}
	if n := len(e.drafted("newsroom.drafting.article.created")); n != 1 {
		t.Errorf("%d created events, want 1 (invalid creates publish nothing)", n)
	}
}
