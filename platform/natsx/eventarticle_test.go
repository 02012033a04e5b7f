package natsx

import (
	"testing"

	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
)

// eventArticle reads what EventMeta decodes, from any event, and nothing
// from data that is not one.
func TestEventArticleMatchesEventMeta(t *testing.T) {
	meta := &articlev1.EventMeta{Id: "a1/3/updated", ArticleId: "a1", Revision: 3, Actor: "dev-writer", Traceparent: "00-x"}
	var evs [][]byte
	for _, m := range []proto.Message{
		&draftingv1.ArticleUpdated{Meta: meta, Article: &articlev1.Article{Id: "a1", Headline: "H", Revision: 3}},
		&draftingv1.ArticleSubmitted{Meta: &articlev1.EventMeta{ArticleId: "b2"}},
		&draftingv1.ArticleUpdated{Article: &articlev1.Article{Id: "c3"}}, // no meta
	} {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, b)
	}
	evs = append(evs, nil, []byte("not protobuf \xff\xff"))
	for i, b := range evs {
		id, rev := eventArticle(b)
		want := EventMeta(b)
		if id != want.GetArticleId() || rev != want.GetRevision() {
			t.Errorf("event %d: eventArticle = %q, %d; EventMeta has %q, %d", i, id, rev, want.GetArticleId(), want.GetRevision())
		}
	}
}
