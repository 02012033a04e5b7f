package synth

import (
	"strings"
	"testing"
)

func TestStoriesAreDeterministicAndClustered(t *testing.T) {
	a := New(2000, 7)
	b := New(2000, 7)
	for _, i := range []int{0, 1, 999, 1999} {
		if a.Story(i).Body != b.Story(i).Body {
			t.Fatalf("story %d differs between two generators with one seed", i)
		}
	}
	d := a.Story(10)
	if n := len(strings.Fields(d.Body)); n < 60 || d.Headline == "" || d.ID != "s0000010" || d.PublishedAt.IsZero() {
		t.Fatalf("story = %+v (%d words)", d, n)
	}
	if c := a.Clusters(); c < 200 || c > 1000 {
		t.Fatalf("%d clusters for 2000 stories", c)
	}
}
