package publishing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
)

// The archive import: stories published before Newsroom (issue 4) go
// straight into the published archive, each as a PUBLISHED publication
// with its original publication time, announced with ArticlePublished
// (imported set) so linking indexes it and relates it like any other.

const (
	// MaxImportBatch is the most articles one ImportArticles call takes.
	MaxImportBatch = 500
	// maxSlug is the longest slug accepted or derived.
	maxSlug = 100
)

var (
	slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	// errImported: the story is in the archive already.
	errImported = errors.New("publishing: already imported")
	// errTaken: the id belongs to an article of the newsroom's own.
	errTaken = errors.New("publishing: the id belongs to an article that did not come from an import")
)

// ImportID is the id of an imported story whose file names none: a hash of
// its desk, headline and original publication time, so importing the same
// archive again finds the same ids.
func ImportID(desk, headline string, publishedAt time.Time) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(desk) + "\x00" + strings.TrimSpace(headline) + "\x00" + publishedAt.UTC().Format(time.RFC3339Nano)))
	return "imp-" + hex.EncodeToString(sum[:])[:20]
}

// ImportArticles stores a batch of already-published stories, oldest
// first, and reports on each in the order of the request.
func (s *Service) ImportArticles(ctx context.Context, req *publishingv1.ImportArticlesRequest) (*publishingv1.ImportArticlesResponse, error) {
	n := len(req.GetArticles())
	if n == 0 {
		return nil, status.Error(codes.InvalidArgument, "articles is empty")
	}
	if n > MaxImportBatch {
		return nil, status.Errorf(codes.InvalidArgument, "at most %d articles a call, got %d", MaxImportBatch, n)
	}
	// Oldest first, one at a time: linking relates each story to those
	// published before it, so they should reach it in that order.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	arts := req.GetArticles()
	slices.SortStableFunc(order, func(x, y int) int {
		return arts[x].GetPublishedAt().AsTime().Compare(arts[y].GetPublishedAt().AsTime())
	})
	results := make([]*publishingv1.ImportResult, n)
	for _, i := range order {
		r, err := s.importOne(ctx, arts[i])
		if err != nil {
			// Whatever was stored stays stored (and announced); the
			// caller retries the batch and those come back as EXISTS.
			return nil, s.rpcError(ctx, "import articles", arts[i].GetId(), err)
		}
		results[i] = r
	}
	return &publishingv1.ImportArticlesResponse{Results: results}, nil
}

// importOne stores one story. A story the request gets wrong is a result
// (REJECTED); only a failure of the store is an error.
func (s *Service) importOne(ctx context.Context, in *articlev1.Article) (*publishingv1.ImportResult, error) {
	now := s.d.Clock.Now()
	a, err := normalizeImport(in, now)
	if err != nil {
		return &publishingv1.ImportResult{ArticleId: a.GetId(), Outcome: publishingv1.ImportOutcome_IMPORT_OUTCOME_REJECTED, Error: err.Error()}, nil
	}
	id := a.GetId()
	_, err = s.pubs.Update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		if exists {
			if cur.GetImported() {
				return nil, nil, errImported
			}
			return nil, nil, errTaken
		}
		p := importedPublication(a, s.publicURL(id, a.GetSlug()), now)
		live := p.GetArticle()
		meta := s.meta(ctx, id, live.GetRevision(), "published", "1")
		return p, []natsx.Event{{
			Subject: events.ArticlePublished,
			ID:      meta.Id,
			Msg:     &publishingv1.ArticlePublished{Meta: meta, Article: live, Imported: true, Publication: 1},
		}}, nil
	})
	switch {
	case err == nil:
		return &publishingv1.ImportResult{ArticleId: id, Outcome: publishingv1.ImportOutcome_IMPORT_OUTCOME_IMPORTED}, nil
	case errors.Is(err, errImported):
		return &publishingv1.ImportResult{ArticleId: id, Outcome: publishingv1.ImportOutcome_IMPORT_OUTCOME_EXISTS}, nil
	case errors.Is(err, errTaken):
		return &publishingv1.ImportResult{ArticleId: id, Outcome: publishingv1.ImportOutcome_IMPORT_OUTCOME_REJECTED,
			Error: "id " + id + " belongs to an article of the newsroom; give the story another id"}, nil
	}
	return &publishingv1.ImportResult{ArticleId: id}, err
}

// normalizeImport checks an archived story and fills in its id and slug.
// The article it returns carries the id even when it reports an error, so
// the caller can name the story.
func normalizeImport(in *articlev1.Article, now time.Time) (*articlev1.Article, error) {
	if in == nil {
		return &articlev1.Article{}, errors.New("empty article")
	}
	a := &articlev1.Article{
		Id:         strings.TrimSpace(in.GetId()),
		Slug:       strings.TrimSpace(in.GetSlug()),
		Desk:       strings.TrimSpace(in.GetDesk()),
		Byline:     strings.TrimSpace(in.GetByline()),
		Tags:       nonEmpty(in.GetTags()),
		Headline:   strings.TrimSpace(in.GetHeadline()),
		Dek:        strings.TrimSpace(in.GetDek()),
		Summary:    strings.TrimSpace(in.GetSummary()),
		Body:       in.GetBody(),
		Highlights: nonEmpty(in.GetHighlights()),
		Kicker:     strings.TrimSpace(in.GetKicker()),
		PublishedAt: func() *timestamppb.Timestamp {
			if in.GetPublishedAt() == nil {
				return nil
			}
			return proto.Clone(in.GetPublishedAt()).(*timestamppb.Timestamp)
		}(),
	}
	for _, t := range in.GetTakeaways() {
		a.Takeaways = append(a.Takeaways, proto.Clone(t).(*articlev1.Takeaway))
	}
	var problems []string
	if a.Headline == "" {
		problems = append(problems, "headline is required")
	}
	if a.Desk == "" {
		problems = append(problems, "desk is required")
	}
	switch {
	case a.PublishedAt == nil:
		problems = append(problems, "published_at is required")
	case a.PublishedAt.CheckValid() != nil:
		problems = append(problems, "published_at is not a valid time")
	case a.PublishedAt.AsTime().After(now):
		problems = append(problems, fmt.Sprintf("published_at %s is in the future; the archive holds stories already published",
			a.PublishedAt.AsTime().UTC().Format(time.RFC3339)))
	}
	switch {
	case a.Id == "" && a.Headline != "" && a.Desk != "" && a.PublishedAt.CheckValid() == nil:
		a.Id = ImportID(a.Desk, a.Headline, a.PublishedAt.AsTime())
	case a.Id != "" && !validID(a.Id):
		problems = append(problems, "id may contain only letters, digits, '-', '_' and '=' (at most 200)")
	}
	switch {
	case a.Slug == "":
		a.Slug = slugify(a.Headline)
	case len(a.Slug) > maxSlug || !slugRE.MatchString(a.Slug):
		problems = append(problems, "slug must be lower-case letters and digits joined by single hyphens, at most 100")
	}
	if len(problems) > 0 {
		return a, errors.New(strings.Join(problems, "; "))
	}
	return a, nil
}

// importedPublication is the record of a freshly imported story: live at
// revision 1 since its original publication time.
func importedPublication(a *articlev1.Article, url string, now time.Time) *publishingv1.Publication {
	at := a.GetPublishedAt()
	cleared := proto.Clone(a).(*articlev1.Article)
	cleared.Revision = 1
	cleared.Status = ready
	cleared.CreatedAt = at
	cleared.UpdatedAt = at
	live := proto.Clone(cleared).(*articlev1.Article)
	live.Status = published
	live.PublicUrl = url
	live.PublishedRevision = 1
	return &publishingv1.Publication{
		ArticleId:     a.GetId(),
		Status:        published,
		ReadyRevision: 1,
		LiveRevision:  1,
		PublishedAt:   at,
		PublicUrl:     url,
		Article:       live,
		PublishCount:  1,
		Cleared:       cleared,
		SeenRevision:  1,
		ModifiedAt:    timestamppb.New(now),
		Imported:      true,
	}
}

// special transliterates letters that do not decompose into an ASCII
// letter plus accents.
var special = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe",
	'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d",
	'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th", 'ı': "i", 'ħ': "h", 'Ħ': "h",
	'&': " and ",
}

// slugify derives a URL slug from a headline the way drafting does:
// ASCII letters and digits in lower case, accents stripped, anything else
// a word break, words joined by hyphens and cut at a word boundary to
// maxSlug. It returns "" when nothing ASCII is left; the story is then
// served at /articles/{id}.
func slugify(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Mn, r):
		case r == '\'' || r == '’':
		default:
			if t, ok := special[r]; ok {
				b.WriteString(t)
			} else {
				b.WriteByte(' ')
			}
		}
	}
	out := ""
	for _, w := range strings.Fields(b.String()) {
		next := w
		if out != "" {
			next = out + "-" + w
		}
		if len(next) > maxSlug {
			if out == "" {
				out = w[:maxSlug]
			}
			break
		}
		out = next
	}
	return out
}
