package benchtext

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestArticlesAreDeterministic(t *testing.T) {
	a, b := New(2000, 1), New(500, 1)
	for _, i := range []int{0, 1, 57, 499} {
		if !proto.Equal(a.Article(i, i%2 == 0), b.Article(i, i%2 == 0)) {
			t.Fatalf("article %d differs between two archives with one seed", i)
		}
	}
	if New(10, 2).Article(3, false).GetBody() == a.Article(3, false).GetBody() {
		t.Fatal("two seeds wrote the same story")
	}
}

func TestArticlesAreNewsLike(t *testing.T) {
	a := New(2000, 1)
	words := map[string]int{}
	topics := map[int]bool{}
	flagged := 0
	for i := range 2000 {
		art := a.Article(i, a.Flagged(i, 0.1))
		if art.GetHeadline() == "" || art.GetDek() == "" || art.GetSummary() == "" || len(art.GetTags()) == 0 {
			t.Fatalf("article %d = %v", i, art)
		}
		if !strings.HasPrefix(art.GetBody(), art.GetSummary()) {
			t.Fatalf("article %d: summary %q is not the body's lede", i, art.GetSummary())
		}
		if strings.Contains(art.GetBody(), "reportedly") != a.Flagged(i, 0.1) {
			t.Fatalf("article %d: flagged %v, body %q", i, a.Flagged(i, 0.1), art.GetBody())
		}
		if a.Flagged(i, 0.1) {
			flagged++
		}
		for _, w := range strings.Fields(strings.ToLower(art.GetBody())) {
			words[strings.Trim(w, ".")]++
		}
		topics[a.Story(i).Topic] = true
	}
	if flagged < 150 || flagged > 250 {
		t.Errorf("%d of 2000 flagged at a share of 0.1", flagged)
	}
	// Thousands of distinct words, a few very common (Zipf), many rare.
	rare := 0
	for _, n := range words {
		if n == 1 {
			rare++
		}
	}
	if len(words) < 5000 || rare < len(words)/3 {
		t.Errorf("%d distinct words, %d seen once", len(words), rare)
	}
	if c := a.Clusters(); c < 200 || c > 1000 || len(topics) < 200 {
		t.Errorf("%d clusters, %d topics in 2000 stories", c, len(topics))
	}
	// Stories of one cluster are consecutive and share its place.
	s0 := a.Story(0)
	for i := 1; a.Story(i).Cluster == s0.Cluster; i++ {
		if place := s0.Headline[strings.LastIndex(s0.Headline, " in ")+4:]; !strings.HasSuffix(a.Story(i).Headline, " in "+place) {
			t.Fatalf("story %d of cluster %d not in %s: %q", i, s0.Cluster, place, a.Story(i).Headline)
		}
	}
}
