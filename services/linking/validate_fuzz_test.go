package linking

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
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

// checkLimit: a limit the validators accept is what the box gets.
func checkLimit(t *testing.T, asked int32, got int) {
	t.Helper()
	want := int(asked)
	switch {
	case asked == 0:
		want = defaultLimit
	case asked > maxLimit:
		want = maxLimit
	}
	if asked < 0 || got != want || got < 1 || got > maxLimit {
		t.Fatalf("limit %d became %d", asked, got)
	}
}

// kv is a real JetStream bucket like linking's own, to check accepted ids
// against the store that will hold them.
func kv(f *testing.F) jetstream.KeyValue {
	n := testutil.StartNATS(f, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := n.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "fuzz-curation", History: 1})
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzValidatePair: the four curation calls never panic on any pair of
// ids; what they refuse is InvalidArgument naming the offending field(s);
// what they accept is two different ids that the curation bucket really
// takes as keys (a Create and a Get of each succeed).
func FuzzValidatePair(f *testing.F) {
	f.Add("a1", "b2")
	f.Add("", "")
	f.Add("same", "same")
	f.Add("a.b", ".b")
	f.Add("a b", "c*")
	f.Add("a>", "x/y=z_-")
	f.Add("a..b", "é")
	f.Add("\x00", "ok")
	bucket := kv(f)
	f.Fuzz(func(t *testing.T, article, other string) {
		err := validatePair(article, other)
		if err != nil {
			fields := refused(t, err, "article_id", "other_id")
			okKey := func(field, id string) bool {
				return !slices.Contains(fields, field) || id == "" || !natsx.ValidKey(id) || article == other
			}
			if !okKey("article_id", article) || !okKey("other_id", other) {
				t.Fatalf("refused (%q, %q) blaming %v", article, other, fields)
			}
			return
		}
		if article == "" || other == "" || article == other {
			t.Fatalf("accepted (%q, %q)", article, other)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, id := range []string{article, other} {
			if _, err := bucket.Create(ctx, id, []byte("{}")); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
				t.Fatalf("accepted id %q, but the bucket refuses it: %v", id, err)
			}
			if _, err := bucket.Get(ctx, id); err != nil {
				t.Fatalf("accepted id %q, but reading it back fails: %v", id, err)
			}
		}
	})
}

// FuzzValidateRelatedRequests decodes arbitrary bytes as GetRelated and
// SuggestRelated requests: no panic; refusals are InvalidArgument naming
// the field; an accepted limit is within the box's bounds, and an accepted
// draft has text to relate. An id GetRelated accepts is one the store
// either holds or refuses as an invalid key (which the handler reports as
// InvalidArgument), never another failure.
func FuzzValidateRelatedRequests(f *testing.F) {
	for _, m := range []proto.Message{
		&linkingv1.GetRelatedRequest{ArticleId: "a1", Limit: 3},
		&linkingv1.GetRelatedRequest{ArticleId: "a b", Limit: -1},
		&linkingv1.SuggestRelatedRequest{Article: &articlev1.Article{Headline: "h", Body: "b"}, Limit: 50},
		&linkingv1.SuggestRelatedRequest{Article: &articlev1.Article{Tags: []string{"t"}}},
	} {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	bucket := kv(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var get linkingv1.GetRelatedRequest
		if proto.Unmarshal(data, &get) == nil {
			limit, err := validateGetRelated(&get)
			switch {
			case err != nil:
				field := refused(t, err, "article_id", "limit")[0]
				if field == "article_id" && get.GetArticleId() != "" || field == "limit" && get.GetLimit() >= 0 {
					t.Fatalf("refused %v blaming %s", &get, field)
				}
			case get.GetArticleId() == "":
				t.Fatal("accepted an empty article_id")
			default:
				checkLimit(t, get.GetLimit(), limit)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := bucket.Get(ctx, get.GetArticleId())
				cancel()
				if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) && !errors.Is(err, jetstream.ErrInvalidKey) {
					t.Fatalf("article_id %q: the store fails with %v (the handler would say Internal)", get.GetArticleId(), err)
				}
			}
		}
		var sug linkingv1.SuggestRelatedRequest
		if proto.Unmarshal(data, &sug) == nil {
			a := sug.GetArticle()
			text := a.GetHeadline() != "" || a.GetDek() != "" || a.GetSummary() != "" || a.GetBody() != ""
			limit, err := validateSuggest(&sug)
			if err != nil {
				fields := refused(t, err, "article", "article.headline", "article.dek", "article.summary", "article.body", "limit")
				if fields[0] == "limit" && (sug.GetLimit() >= 0 || !text) || fields[0] != "limit" && text {
					t.Fatalf("refused %v blaming %v", &sug, fields)
				}
				return
			}
			if !text {
				t.Fatalf("accepted a draft without text: %v", a)
			}
			checkLimit(t, sug.GetLimit(), limit)
		}
	})
}
