package linking

import (
	"slices"
	"sync"
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
}

func newLinks() *links {
	return &links{seen: map[string]uint64{}, shows: map[string][]string{}, shownIn: map[string]map[string]struct{}{}}
}

// set records that article's box, stored at KV revision kvRev, shows
// stories; nil stories means the box was deleted.
func (l *links) set(article string, kvRev uint64, stories []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if kvRev <= l.seen[article] {
		return
	}
	l.seen[article] = kvRev
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
