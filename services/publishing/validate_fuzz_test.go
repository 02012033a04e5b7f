package publishing

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

// Fuzz tests of publishing's request validation: the article id of
// PublishArticle, CorrectArticle and the rest (checkID), the times of
// PublishArticle (optTime), and the archived stories of ImportArticles
// (normalizeImport, slugify). None may panic, and what they accept must be
// what the rest of the service relies on.

func FuzzCheckID(f *testing.F) {
	for _, s := range []string{"", "01abc", "a.b", "a/b", "../x", "a b", "a=b_c-d", strings.Repeat("a", 201), "ａ", "\x00", "x.json", "x.ninjs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := checkID(id)
		if err != nil {
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("checkID(%q) = %v, want InvalidArgument", id, err)
			}
			return
		}
		// An accepted id is one KV key token and one path segment with no
		// dot, so /articles/{id}.json is unambiguous.
		if id == "" || len(id) > 200 || strings.ContainsAny(id, "./\\?#%*> \t\n") {
			t.Fatalf("checkID accepted %q", id)
		}
		for _, r := range id {
			if r > 0x7f {
				t.Fatalf("checkID accepted non-ASCII %q", id)
			}
		}
	})
}

func FuzzOptTime(f *testing.F) {
	f.Add(int64(0), int32(0))
	f.Add(int64(-62135596801), int32(0))
	f.Add(int64(253402300800), int32(0))
	f.Add(int64(1), int32(-1))
	f.Add(int64(1), int32(1e9))
	f.Fuzz(func(t *testing.T, sec int64, nanos int32) {
		got, err := optTime(&timestamppb.Timestamp{Seconds: sec, Nanos: nanos}, "publish_at")
		if err != nil {
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("optTime(%d, %d) = %v, want InvalidArgument", sec, nanos, err)
			}
			return
		}
		if got == nil || got.Year() < 1 || got.Year() > 9999 || got.Unix() != sec || got.Nanosecond() != int(nanos) {
			t.Fatalf("optTime(%d, %d) = %v", sec, nanos, got)
		}
	})
}

func FuzzNormalizeImport(f *testing.F) {
	f.Add("", "", "world", "A headline", "", int64(1e9))
	f.Add("id.with.dots", "", "world", "A headline", "", int64(1e9))
	f.Add("", "Bad Slug", "world", "A headline", "", int64(1e9))
	f.Add("", "", " ", "  ", "", int64(1e9))
	f.Add("", "", "world", "Ünïcödé — ﬁnance “quotes”", "", int64(1e9))
	f.Add("", "", "world", "<script>alert(1)</script>", "<script>alert(1)</script>", int64(1e9))
	f.Add("", "", "world", strings.Repeat("word ", 60), "", int64(1e9))
	f.Add("", "", "world", "A headline", "", int64(1e12))
	f.Add("", "", "world", "A headline", "", int64(-1e12))
	now := time.Unix(2e9, 0)
	f.Fuzz(func(t *testing.T, id, slug, desk, headline, body string, published int64) {
		in := &articlev1.Article{Id: id, Slug: slug, Desk: desk, Headline: headline, Body: body, Tags: []string{headline, " "},
			PublishedAt: &timestamppb.Timestamp{Seconds: published}}
		a, err := normalizeImport(in, now)
		if a == nil {
			t.Fatalf("normalizeImport returned no article (err %v)", err)
		}
		if s := slugify(headline); s != "" && (len(s) > maxSlug || !slugRE.MatchString(s)) {
			t.Fatalf("slugify(%q) = %q: not a valid slug", headline, s)
		}
		if err != nil {
			return
		}
		switch {
		case a.GetHeadline() == "" || a.GetDesk() == "":
			t.Fatalf("accepted %v without headline or desk", in)
		case !validID(a.GetId()):
			t.Fatalf("accepted id %q", a.GetId())
		case a.GetSlug() != "" && (len(a.GetSlug()) > maxSlug || !slugRE.MatchString(a.GetSlug())):
			t.Fatalf("accepted slug %q", a.GetSlug())
		case a.GetPublishedAt().CheckValid() != nil || a.GetPublishedAt().AsTime().After(now):
			t.Fatalf("accepted published_at %v", a.GetPublishedAt())
		}
		for _, tag := range a.GetTags() {
			if strings.TrimSpace(tag) == "" {
				t.Fatalf("kept an empty tag: %q", a.GetTags())
			}
		}
	})
}
