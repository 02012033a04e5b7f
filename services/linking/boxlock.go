package linking

import (
	"errors"
	"slices"
	"sync"
	"time"

	"newsroom.dev/platform/metrics"
)

// boxLocks lets one refresh at a time change a given box in this replica,
// and lets the refresh whose turn it is answer the forward-link offers
// queued for the box meanwhile.
//
// Several stories handled at once often enter the same older box (they
// are of one topic): without the turns their refreshes computed the box
// side by side, all but one lost the compare-and-set, and each loser paid
// its search, a refused write and a read again before computing once
// more from the winner's box. With turns alone, a box offered three new
// stories while it was being refreshed was still refreshed three times
// more, each time written (and announced, and copied by publishing) if
// its story entered: in the pipeline benchmark a third of all refreshes
// waited for another of the same box. An offer only asks whether its
// story enters the box (see refresh), so one refresh with every waiting
// offer's story as a candidate answers them all: it ranks the box and
// all of them together, and stores the box once with those that enter.
// A refresh made for a reason of its own (the box's story published,
// a story it shows changed, a curation change) waits for its own turn,
// and takes the offers waiting then as candidates too.
//
// An offer that finds the box free holds it for gatherOffers before it
// runs, so that offers made just after it are answered with it: the
// stories of a burst on one topic, handled a few milliseconds apart,
// rarely overlap otherwise, and each entered the box with a write, an
// event and a page re-rendered of its own.
//
// Other replicas are still kept apart by the compare-and-set alone.
type boxLocks struct {
	mu sync.Mutex
	m  map[string]*boxLock
	// gather, if set, is what an offer about to run waits for instead
	// of gatherOffers (tests).
	gather func()
}

// gatherOffers is how long an offer about to run waits for others to the
// same box. Only forward links, which no reader waits for, wait to
// gather: a story's own box, and refreshes made for a reason of their
// own, do not (one may wait its turn behind an offer gathering, as it
// would behind any refresh of the box). In the pipeline benchmark (2,000 × 32) it took box writes from
// 3.59 to 3.29 a story, and JetStream writes from 27.9 to 27.0 an
// article (dev CPU an article unchanged within this host's noise);
// linking's BenchmarkPublished, 3.57 to 2.99 box writes a story (2 ms:
// 3.21; 25 ms: 2.89, with the benchmark's handlers slower). Fewer writes
// are fewer RelatedUpdated events, page re-renders and webhook calls.
const gatherOffers = 10 * time.Millisecond

// boxLock is the state of one box that a refresh holds or waits for.
type boxLock struct {
	turns  []chan struct{} // refreshes of their own, waiting in order
	offers []*boxOffer     // offers no refresh has taken yet
}

// boxOffer is a forward-link offer waiting for a refresh of its box.
type boxOffer struct {
	include []string
	done    chan struct{} // closed when answered, or when it is to run
	lead    bool          // set before done closes: no refresh took it; it runs itself
	err     error         // the answer of the refresh that took it
}

// run calls fn, one call at a time for box in this replica, with the
// stories to take as forward-link candidates and whether the call is
// only an offer of them. An offer (offer true) made while another call
// for box runs is not called itself: it waits, the next call takes its
// include, and run returns that call's error. A call that is not an
// offer always runs, in its turn, and also takes the offers waiting
// then; it runs as an offer only if it is one itself.
func (l *boxLocks) run(box string, include []string, offer bool, fn func(include []string, offer bool) error) error {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*boxLock)
	}
	b := l.m[box]
	switch {
	case b == nil:
		b = &boxLock{}
		l.m[box] = b
		l.mu.Unlock()
	case offer:
		o := &boxOffer{include: include, done: make(chan struct{})}
		b.offers = append(b.offers, o)
		l.mu.Unlock()
		<-o.done
		if !o.lead {
			return o.err
		}
		// No refresh was left to take it: it runs, holding the box,
		// with the offers still waiting (see release).
	default:
		turn := make(chan struct{})
		b.turns = append(b.turns, turn)
		l.mu.Unlock()
		<-turn // handed the box by the call before (see release)
	}
	if offer {
		l.wait()
	}
	l.mu.Lock()
	taken := b.offers
	b.offers = nil
	l.mu.Unlock()
	include = slices.Clip(include) // the caller's slice: appends copy it
	for _, o := range taken {
		for _, id := range o.include {
			if !slices.Contains(include, id) {
				include = append(include, id)
			}
		}
	}
	if offer {
		refreshesOffer.Inc()
	} else {
		refreshesOwn.Inc()
	}
	refreshesAnswered.Add(float64(len(taken)))
	// Deferred, so a refresh that panics (the handler recovers) still
	// answers the offers it took and hands the box on.
	err := errRefreshPanicked
	defer func() {
		for _, o := range taken {
			o.err = err
			close(o.done)
		}
		l.release(box, b)
	}()
	err = fn(include, offer)
	return err
}

// The counters of metrics.BoxRefreshes, by kind.
var (
	refreshesOwn      = metrics.BoxRefreshes.WithLabelValues("own")
	refreshesOffer    = metrics.BoxRefreshes.WithLabelValues("offer")
	refreshesAnswered = metrics.BoxRefreshes.WithLabelValues("answered")
)

// errRefreshPanicked answers the offers a refresh that panicked took:
// their handlers fail, and their events are delivered again.
var errRefreshPanicked = errors.New("linking: the refresh that took this offer panicked")

// wait is what an offer about to run waits for: gather, or gatherOffers.
func (l *boxLocks) wait() {
	if l.gather != nil {
		l.gather()
		return
	}
	time.Sleep(gatherOffers)
}

// release hands box on: to the first refresh waiting for its own turn,
// else to the first offer still waiting (it runs with the others), else
// to nobody, and the entry goes.
func (l *boxLocks) release(box string, b *boxLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case len(b.turns) > 0:
		next := b.turns[0]
		b.turns = b.turns[1:]
		close(next)
	case len(b.offers) > 0:
		next := b.offers[0]
		b.offers = b.offers[1:]
		next.lead = true
		close(next.done)
	default:
		delete(l.m, box)
	}
}
