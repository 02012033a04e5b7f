package linking

import (
	"math"
	"slices"
	"sync"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

// links maps each story to the articles whose Related News box shows it,
// so that unpublishing a story finds the boxes to recompute without a scan.
// It is a cache of linking-related, rebuilt from it at start and kept
// current by watching it; like live, it ignores updates older than the
// KV revision it last applied per article.
type links struct {
	mu      sync.Mutex
	seen    map[string]uint64
	shows   map[string][]string            // article → stories in its box
	shownIn map[string]map[string]struct{} // story → articles showing it
	// weakest is, per article whose box is full, the score of its weakest
	// ranked story: what a forward link must beat.
	weakest map[string]float64
}

func newLinks() *links {
	return &links{seen: map[string]uint64{}, shows: map[string][]string{}, shownIn: map[string]map[string]struct{}{}, weakest: map[string]float64{}}
}

// set records that article's box, stored at KV revision kvRev, shows
// box, and holds full stories when full; nil box means the box was
// deleted.
func (l *links) set(article string, kvRev uint64, box []*articlev1.RelatedStory, full int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if kvRev <= l.seen[article] {
		return
	}
	l.seen[article] = kvRev
	var stories []string
	if box != nil {
		stories = storyIDs(box)
	}
	delete(l.weakest, article)
	if len(box) >= full {
		w := math.Inf(1)
		for _, r := range box {
			if !r.GetPinned() {
				w = min(w, r.GetScore())
			}
		}
		l.weakest[article] = w
	}
	for _, s := range l.shows[article] {
		if in := l.shownIn[s]; in != nil {
			delete(in, article)
			if len(in) == 0 {
				delete(l.shownIn, s)
			}
		}
	}
	if stories == nil {
		delete(l.shows, article)
		return
	}
	l.shows[article] = stories
	for _, s := range stories {
		in := l.shownIn[s]
		if in == nil {
			in = map[string]struct{}{}
			l.shownIn[s] = in
		}
		in[article] = struct{}{}
	}
}

// has reports whether article's box as of KV revision kvRev, or a later
// one, is applied already: the box this replica stored itself comes back
// through the watch, and decoding it again would change nothing.
func (l *links) has(article string, kvRev uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return kvRev <= l.seen[article]
}

// threshold is the score a story must reach to enter article's box,
// whether the box is full (then the score is at least that of its
// weakest story), and whether the box shows story already. A box not
// known or not full takes any story scoring at least floor.
func (l *links) threshold(article, story string, floor float64) (th float64, full, shows bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if slices.Contains(l.shows[article], story) {
		return 0, false, true
	}
	if w, ok := l.weakest[article]; ok {
		return max(w, floor), true, false
	}
	return floor, false, false
}

// showing lists the articles whose box shows story, sorted.
func (l *links) showing(story string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.shownIn[story]))
	for a := range l.shownIn[story] {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}
