package linking

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"newsroom.dev/platform/testutil"
)

// holdBox starts a call of l for box that runs until the returned
// function is called, and returns once it runs.
func holdBox(t *testing.T, l *boxLocks, box string) (release func()) {
	t.Helper()
	running, hold, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		_ = l.run(box, nil, false, func([]string, bool) error {
			close(running)
			<-hold
			return nil
		})
	}()
	<-running
	return func() { close(hold); <-done }
}

// waiting reports how many calls wait for box: for their own turn, and
// as offers.
func waiting(l *boxLocks, box string) (turns, offers int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.m[box]; b != nil {
		return len(b.turns), len(b.offers)
	}
	return 0, 0
}

// TestBoxLocks: a box's refreshes take turns, other boxes' do not wait,
// and a box nobody holds or waits for leaves no entry behind.
func TestBoxLocks(t *testing.T) {
	var l boxLocks
	releaseA := holdBox(t, &l, "a")
	releaseB := holdBox(t, &l, "b") // another box: not held up by a
	got, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		_ = l.run("a", nil, false, func([]string, bool) error {
			close(got)
			return nil
		})
	}()
	testutil.Eventually(t, 30*time.Second, "the second refresh of a to wait", func() bool {
		turns, _ := waiting(&l, "a")
		return turns == 1
	})
	select {
	case <-got:
		t.Fatal("a second refresh of a got in while the first held it")
	default:
	}
	releaseA()
	<-got
	<-done
	releaseB()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) != 0 {
		t.Fatalf("entries left: %v", l.m)
	}
}

// TestBoxLocksAnswerWaitingOffersTogether: offers made while a box is
// being refreshed are answered by one refresh that has all their stories
// as candidates, and each offer gets its answer.
func TestBoxLocksAnswerWaitingOffersTogether(t *testing.T) {
	var l boxLocks
	release := holdBox(t, &l, "a")
	var (
		mu    sync.Mutex
		calls [][]string
		modes []bool
	)
	refused := errors.New("refused")
	fn := func(include []string, offer bool) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, slices.Clone(include))
		modes = append(modes, offer)
		return refused
	}
	errs := make(chan error, 3)
	for _, story := range []string{"s1", "s2", "s1"} { // s1 offered twice
		go func() { errs <- l.run("a", []string{story}, true, fn) }()
	}
	testutil.Eventually(t, 30*time.Second, "three offers to wait", func() bool {
		turns, offers := waiting(&l, "a")
		return turns+offers == 3
	})
	release()
	for range 3 {
		if err := <-errs; !errors.Is(err, refused) {
			t.Fatalf("an offer answered %v, not the refresh's answer", err)
		}
	}
	if len(calls) != 1 {
		t.Fatalf("%d refreshes for three waiting offers, want 1: %v", len(calls), calls)
	}
	slices.Sort(calls[0])
	if !slices.Equal(calls[0], []string{"s1", "s2"}) || !modes[0] {
		t.Fatalf("the refresh had candidates %v (offer %v), want [s1 s2] as an offer", calls[0], modes[0])
	}
}

// TestBoxLocksOwnRefreshTakesOffers: a refresh of its own, waiting for
// its turn, runs as one (not as an offer) with the offers waiting then as
// candidates, and offers made during it wait for the next refresh.
func TestBoxLocksOwnRefreshTakesOffers(t *testing.T) {
	var l boxLocks
	release := holdBox(t, &l, "a")
	type call struct {
		include []string
		offer   bool
	}
	calls := make(chan call, 4)
	inOwn, leaveOwn := make(chan struct{}), make(chan struct{})
	own := make(chan error, 1)
	go func() {
		own <- l.run("a", nil, false, func(include []string, offer bool) error {
			calls <- call{slices.Clone(include), offer}
			close(inOwn)
			<-leaveOwn
			return nil
		})
	}()
	testutil.Eventually(t, 30*time.Second, "the refresh to wait for its turn", func() bool {
		turns, _ := waiting(&l, "a")
		return turns == 1
	})
	offer := func(story string) chan error {
		c := make(chan error, 1)
		go func() {
			c <- l.run("a", []string{story}, true, func(include []string, offer bool) error {
				calls <- call{slices.Clone(include), offer}
				return nil
			})
		}()
		return c
	}
	early := offer("s1")
	testutil.Eventually(t, 30*time.Second, "the offer to wait", func() bool {
		_, offers := waiting(&l, "a")
		return offers == 1
	})
	release()
	<-inOwn
	late := offer("s2")
	testutil.Eventually(t, 30*time.Second, "the later offer to wait", func() bool {
		_, offers := waiting(&l, "a")
		return offers == 1
	})
	close(leaveOwn)
	for _, c := range []chan error{own, early, late} {
		if err := <-c; err != nil {
			t.Fatal(err)
		}
	}
	first, second := <-calls, <-calls
	if first.offer || !slices.Equal(first.include, []string{"s1"}) {
		t.Fatalf("the refresh of its own ran with %+v, want candidates [s1], not as an offer", first)
	}
	if !second.offer || !slices.Equal(second.include, []string{"s2"}) {
		t.Fatalf("the offer made during it ran with %+v, want [s2] as an offer", second)
	}
	if turns, offers := waiting(&l, "a"); turns+offers != 0 || len(l.m) != 0 {
		t.Fatalf("entries left: %v", l.m)
	}
}

// TestBoxLocksSurviveARefreshThatPanics: a refresh that panics (its
// handler recovers) answers the offers it took with an error and hands
// the box on, rather than leave them waiting and the box held for good.
func TestBoxLocksSurviveARefreshThatPanics(t *testing.T) {
	var l boxLocks
	release := holdBox(t, &l, "a")
	running, hold := make(chan struct{}), make(chan struct{})
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		_ = l.run("a", nil, false, func([]string, bool) error {
			close(running)
			<-hold
			panic("boom")
		})
	}()
	testutil.Eventually(t, 30*time.Second, "the refresh to wait for its turn", func() bool {
		turns, _ := waiting(&l, "a")
		return turns == 1
	})
	release()
	<-running
	offered := make(chan error, 1)
	go func() {
		offered <- l.run("a", []string{"s1"}, true, func([]string, bool) error { return nil })
	}()
	testutil.Eventually(t, 30*time.Second, "the offer to wait", func() bool {
		_, offers := waiting(&l, "a")
		return offers == 1
	})
	close(hold)
	if p := <-panicked; p != "boom" {
		t.Fatalf("recovered %v, want the refresh's panic", p)
	}
	// The offer was not taken (it came during the refresh): it runs next.
	if err := <-offered; err != nil {
		t.Fatalf("the offer after the panic: %v", err)
	}
	// An offer taken by a refresh that panics gets an error.
	release = holdBox(t, &l, "a")
	go func() {
		defer func() { panicked <- recover() }()
		_ = l.run("a", nil, false, func([]string, bool) error { panic("boom") })
	}()
	testutil.Eventually(t, 30*time.Second, "the refresh to wait for its turn", func() bool {
		turns, _ := waiting(&l, "a")
		return turns == 1
	})
	go func() {
		offered <- l.run("a", []string{"s2"}, true, func([]string, bool) error { return nil })
	}()
	testutil.Eventually(t, 30*time.Second, "the offer to wait", func() bool {
		_, offers := waiting(&l, "a")
		return offers == 1
	})
	release()
	<-panicked
	if err := <-offered; !errors.Is(err, errRefreshPanicked) {
		t.Fatalf("an offer taken by a refresh that panicked answered %v", err)
	}
	if turns, offers := waiting(&l, "a"); turns+offers != 0 || len(l.m) != 0 {
		t.Fatalf("entries left after the panics: %v", l.m)
	}
}

// TestBoxLocksOfferGathersOffersMadeJustAfter: an offer that finds the
// box free waits (gatherOffers) before it runs, and answers the offers
// made meanwhile with it.
func TestBoxLocksOfferGathersOffersMadeJustAfter(t *testing.T) {
	gathering, proceed := make(chan struct{}), make(chan struct{})
	l := boxLocks{gather: func() { close(gathering); <-proceed }}
	calls := make(chan []string, 2)
	fn := func(include []string, offer bool) error {
		if !offer {
			t.Error("an offer ran as a refresh of its own")
		}
		calls <- slices.Clone(include)
		return nil
	}
	errs := make(chan error, 2)
	go func() { errs <- l.run("a", []string{"s1"}, true, fn) }()
	<-gathering
	l.gather = func() { t.Error("an offer answered by another waited to gather") }
	go func() { errs <- l.run("a", []string{"s2"}, true, fn) }()
	testutil.Eventually(t, 30*time.Second, "the second offer to wait", func() bool {
		_, offers := waiting(&l, "a")
		return offers == 1
	})
	close(proceed)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := <-calls; !slices.Equal(got, []string{"s1", "s2"}) || len(calls) != 0 {
		t.Fatalf("refreshes: %v then %d more, want one with [s1 s2]", got, len(calls))
	}
}
