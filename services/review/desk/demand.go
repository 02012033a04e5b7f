package desk

import (
	"context"
	"sync"
	"time"
)

// The live feeds cost the newsroom a delivery for every review event,
// status change and review write (about four an article, a fourteenth of
// everything the pipeline's messaging does in `newsroom bench`), whether
// anyone is looking or not. So they run only while someone needs them:
// a review page is open (its event stream), or the queue was read lately
// (its cache of summaries is good only while the feeds drop what
// changed). After the last need they go on for the linger, so a page
// reloaded or a queue read again finds them running.

// DefaultFeedLinger is how long the feeds go on after they were last
// needed.
const DefaultFeedLinger = 2 * time.Minute

// feedStartWait bounds how long a new event stream waits for the feeds to
// follow before it greets its page (saying whether they do).
const feedStartWait = 5 * time.Second

// demand counts who needs the live feeds.
type demand struct {
	linger time.Duration
	now    func() time.Time

	mu       sync.Mutex
	streams  int       // open event streams
	lastUsed time.Time // when the last need ended, or the queue was read
	wake     chan struct{}
	// up is closed once the feeds follow their streams, and replaced when
	// they stop.
	up chan struct{}
}

func newDemand(linger time.Duration, now func() time.Time) *demand {
	if linger <= 0 {
		linger = DefaultFeedLinger
	}
	return &demand{linger: linger, now: now, wake: make(chan struct{}, 1), up: make(chan struct{})}
}

// open records an open event stream, and returns the func that closes it.
func (m *demand) open() func() {
	m.mu.Lock()
	m.streams++
	m.mu.Unlock()
	m.poke()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			m.streams--
			m.lastUsed = m.now()
			m.mu.Unlock()
			m.poke()
		})
	}
}

// use records a need that ends at once (a read of the queue).
func (m *demand) use() {
	m.mu.Lock()
	m.lastUsed = m.now()
	m.mu.Unlock()
	m.poke()
}

func (m *demand) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// wanted reports whether the feeds are needed, and if not, for how much
// longer they should run anyway (0: stop now).
func (m *demand) wanted() (bool, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.wantedLocked()
}

func (m *demand) wantedLocked() (bool, time.Duration) {
	if m.streams > 0 {
		return true, 0
	}
	if m.lastUsed.IsZero() {
		return false, 0
	}
	left := m.linger - m.now().Sub(m.lastUsed)
	return left > 0, max(left, 0)
}

// following is closed while the feeds follow their streams.
func (m *demand) following() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.up
}

// update records a feed's change of state: change applies it and
// reports whether every feed now follows. A feed turned on in a run that
// serve has stopped is not recorded (it is on its way down, and a page
// greeted now would miss what happens before the feeds start again).
func (m *demand) update(ctx context.Context, on bool, change func() (all bool)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if on && ctx.Err() != nil {
		return
	}
	m.setUpLocked(change())
}

// setUpLocked marks the feeds as following or not: following() is closed
// while they are, and a fresh channel otherwise. Called with mu held.
func (m *demand) setUpLocked(on bool) {
	select {
	case <-m.up:
		if !on {
			m.up = make(chan struct{})
		}
	default:
		if on {
			close(m.up)
		}
	}
}

// serve runs the feeds (run, until its context ends) whenever they are
// wanted, until ctx ends.
func (m *demand) serve(ctx context.Context, run func(context.Context)) {
	for {
		if ok, _ := m.wanted(); !ok {
			select {
			case <-ctx.Done():
				return
			case <-m.wake:
				continue
			}
		}
		fctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); run(fctx) }()
		for {
			// Decided under the lock, so a page that opens meanwhile
			// either keeps this run or waits for the next (see update):
			// none is greeted by feeds about to stop.
			m.mu.Lock()
			ok, left := m.wantedLocked()
			if !ok || ctx.Err() != nil {
				m.setUpLocked(false)
				stop()
				m.mu.Unlock()
				break
			}
			m.mu.Unlock()
			wait := left
			if wait == 0 {
				wait = m.linger // held by an open stream: look again when it may have closed
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-m.wake:
			case <-t.C:
			}
			t.Stop()
		}
		<-done
		if ctx.Err() != nil {
			return
		}
	}
}
