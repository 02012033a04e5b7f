package publishing

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/testutil"
)

func archivedStory(id, headline string, at time.Time) *articlev1.Article {
	return &articlev1.Article{
		Id: id, Headline: headline, Desk: "City Desk", Byline: "Archive Writer", Tags: []string{"budget"},
		Dek: "From the archive.", Body: "The council budget vote of the year, REPORT-TEXT.\n\n## Analysis\n\nWhy.\n",
		PublishedAt: timestamppb.New(at),
	}
}

func outcomes(resp *publishingv1.ImportArticlesResponse) string {
	var out []string
	for _, r := range resp.GetResults() {
		out = append(out, strings.TrimPrefix(r.GetOutcome().String(), "IMPORT_OUTCOME_"))
	}
	return strings.Join(out, " ")
}

func TestImportArticles(t *testing.T) {
	h := start(t, "", nil, nil)
	h.withLinking()
	ctx := context.Background()
	older, newer := time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC), time.Date(2024, 6, 1, 9, 30, 0, 0, time.UTC)
	h.clear(article("taken1", 1)) // an article of the newsroom's own
	h.waitStatus("taken1", ready)

	batch := []*articlev1.Article{
		archivedStory("old-1", "Council budget vote of 2024", older),
		archivedStory("", "Council budget vote, the sequel", newer),
		archivedStory("", "Élection municipale: résultats", older.Add(time.Hour)),
		{Headline: "No desk", PublishedAt: timestamppb.New(older)},
		archivedStory("", "From the future", t0.Add(time.Hour)),
		archivedStory("taken1", "Not ours to overwrite", older),
	}
	batch[5].Slug = "Bad Slug"
	batch = append(batch, archivedStory("bad.id", "Bad id", older))
	resp, err := h.client.ImportArticles(ctx, &publishingv1.ImportArticlesRequest{Articles: batch}, h.admin)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(resp); got != "IMPORTED IMPORTED IMPORTED REJECTED REJECTED REJECTED REJECTED" {
		t.Fatalf("outcomes: %s\n%v", got, resp)
	}
	r := resp.GetResults()
	sequel := ImportID("City Desk", "Council budget vote, the sequel", newer)
	if r[0].GetArticleId() != "old-1" || r[1].GetArticleId() != sequel || !strings.HasPrefix(sequel, "imp-") {
		t.Fatalf("ids: %v", r)
	}
	for i, want := range map[int]string{3: "desk is required", 4: "in the future", 5: "slug must be", 6: "id may contain only"} {
		if !strings.Contains(r[i].GetError(), want) {
			t.Errorf("result %d: %q, want %q", i, r[i].GetError(), want)
		}
	}
	batch[5].Slug = ""
	resp, err = h.client.ImportArticles(ctx, &publishingv1.ImportArticlesRequest{Articles: batch[5:6]}, h.admin)
	if err != nil || !strings.Contains(resp.GetResults()[0].GetError(), "belongs to an article of the newsroom") {
		t.Fatalf("importing over a newsroom article: %v %v", resp, err)
	}
	if p := h.get("taken1"); p.GetStatus() != ready || p.GetImported() {
		t.Fatalf("the newsroom's article was touched: %v", p)
	}

	// The same batch again adds nothing.
	resp, err = h.client.ImportArticles(ctx, &publishingv1.ImportArticlesRequest{Articles: batch[:3]}, h.admin)
	if err != nil || outcomes(resp) != "EXISTS EXISTS EXISTS" {
		t.Fatalf("second import: %v %v", outcomes(resp), err)
	}
	ids := []string{"old-1", sequel, r[2].GetArticleId()}
	for _, id := range ids {
		evs := h.published(id)
		if len(evs) != 1 || !evs[0].GetImported() || evs[0].GetMeta().GetId() != id+"/1/published/1" || evs[0].GetMeta().GetActor() != "ada" {
			t.Fatalf("%s: published events %v", id, evs)
		}
		p := h.get(id)
		if p.GetStatus() != published || !p.GetImported() || p.GetLiveRevision() != 1 || p.GetPublishCount() != 1 {
			t.Fatalf("%s: %v", id, p)
		}
	}

	// Served like any other story, at its original time, slug derived.
	resp2, page := h.fetch("/articles/old-1/council-budget-vote-of-2024")
	if resp2.StatusCode != 200 || !strings.Contains(page, `datetime="2024-05-01T09:30:00Z"`) || !strings.Contains(page, "REPORT-TEXT") {
		t.Fatalf("imported page: %d\n%s", resp2.StatusCode, page)
	}
	if resp, _ := h.fetch("/articles/" + r[2].GetArticleId() + "/election-municipale-resultats"); resp.StatusCode != 200 {
		t.Fatalf("accented headline slug: %d", resp.StatusCode)
	}
	// Linking picked them up: the later story's box shows the earlier.
	testutil.Eventually(t, 10*time.Second, "the sequel's Related News box", func() bool {
		_, page := h.fetch("/articles/" + sequel + "/council-budget-vote-the-sequel")
		return strings.Contains(page, `id="related"`) && strings.Contains(page, "/articles/old-1/council-budget-vote-of-2024")
	})

	// An imported story can be taken down and put back up like any other.
	if _, err := h.client.UnpublishArticle(ctx, &publishingv1.UnpublishArticleRequest{ArticleId: "old-1", Reason: "rights"}, h.pub); err != nil {
		t.Fatal(err)
	}
	if resp, _ := h.fetch("/articles/old-1/council-budget-vote-of-2024"); resp.StatusCode != 410 {
		t.Fatalf("taken-down import: %d", resp.StatusCode)
	}
	if p, err := h.publish("old-1", nil); err != nil || p.GetStatus() != published || !p.GetPublishedAt().AsTime().Equal(older) {
		t.Fatalf("republished import: %v %v", p, err)
	}
	if evs := h.published("old-1"); len(evs) != 2 || !evs[1].GetImported() {
		t.Fatalf("republication events: %v", evs)
	}
}

func TestImportArticlesRefusals(t *testing.T) {
	h := start(t, "", nil, nil)
	ctx := context.Background()
	one := []*articlev1.Article{archivedStory("x1", "X", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))}
	for _, as := range []struct {
		name string
		opt  grpc.CallOption
	}{{"publisher", h.pub}, {"editor", h.editor}, {"writer", h.writer}} {
		_, err := h.client.ImportArticles(ctx, &publishingv1.ImportArticlesRequest{Articles: one}, as.opt)
		if err == nil {
			t.Fatalf("%s imported", as.name)
		}
		wantCode(t, err, codes.PermissionDenied)
	}
	_, err := h.client.ImportArticles(ctx, &publishingv1.ImportArticlesRequest{}, h.admin)
	wantCode(t, err, codes.InvalidArgument)
	big := make([]*articlev1.Article, MaxImportBatch+1)
	for i := range big {
		big[i] = archivedStory(fmt.Sprintf("b%d", i), "B", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	_, err = h.client.ImportArticles(ctx, &publishingv1.ImportArticlesRequest{Articles: big}, h.admin)
	wantCode(t, err, codes.InvalidArgument)
	if h.get("b0") != nil {
		t.Fatal("a refused batch stored something")
	}
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Council passes budget":          "council-passes-budget",
		"Élection municipale: résultats": "election-municipale-resultats",
		"Don't panic & carry on":         "dont-panic-and-carry-on",
		"日本語":                            "",
		"  --  ":                         "",
	} {
		if got := slugify(in); got != want {
			t.Errorf("slugify(%q) = %q, want %q", in, got, want)
		}
	}
	if got := slugify(strings.Repeat("word ", 40)); len(got) > maxSlug || strings.HasSuffix(got, "-") {
		t.Errorf("long slug %q", got)
	}
}
