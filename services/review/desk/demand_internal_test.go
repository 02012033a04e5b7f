package desk

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestDemandLingers checks who holds the feeds: an open stream for as
// long as it is open, then the linger; a read of the queue, the linger.
func TestDemandLingers(t *testing.T) {
	now := time.Unix(1000, 0)
	m := newDemand(time.Minute, func() time.Time { return now })
	if ok, _ := m.wanted(); ok {
		t.Fatal("wanted before anyone asked")
	}
	done := m.open()
	now = now.Add(time.Hour)
	if ok, left := m.wanted(); !ok || left != 0 {
		t.Fatalf("open stream: %v %v", ok, left)
	}
	done()
	done() // a second close counts once
	now = now.Add(40 * time.Second)
	if ok, left := m.wanted(); !ok || left != 20*time.Second {
		t.Fatalf("after close: %v %v, want the last 20s of the linger", ok, left)
	}
	now = now.Add(20 * time.Second)
	if ok, _ := m.wanted(); ok {
		t.Fatal("wanted past the linger")
	}
	m.use()
	if ok, left := m.wanted(); !ok || left != time.Minute {
		t.Fatalf("after a queue read: %v %v", ok, left)
	}
}

// TestDemandServesRuns checks that serve runs the feeds only while they
// are wanted, and that a feed of a stopped run cannot mark the feeds as
// following: a page greeted then would miss what happens until the next
// run follows.
func TestDemandServesRuns(t *testing.T) {
	m := newDemand(50*time.Millisecond, time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs, running atomic.Int32
	runCtxs := make(chan context.Context, 4)
	served := make(chan struct{})
	go func() {
		defer close(served)
		m.serve(ctx, func(rctx context.Context) {
			runs.Add(1)
			running.Add(1)
			defer running.Add(-1)
			m.update(rctx, true, func() bool { return true })
			runCtxs <- rctx
			<-rctx.Done()
			m.update(rctx, false, func() bool { return false })
		})
	}()
	time.Sleep(100 * time.Millisecond)
	if runs.Load() != 0 || closed(m.following()) {
		t.Fatal("the feeds ran with no one asking")
	}

	done := m.open()
	rctx := <-runCtxs
	if !closed(m.following()) {
		t.Fatal("the run follows, but following() is not closed")
	}
	time.Sleep(150 * time.Millisecond) // three lingers: the open stream holds it
	if running.Load() != 1 || runs.Load() != 1 {
		t.Fatalf("running %d, runs %d with a stream open", running.Load(), runs.Load())
	}
	done()
	<-rctx.Done()
	deadline := time.Now().Add(5 * time.Second)
	for running.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the run did not end after the linger")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if closed(m.following()) {
		t.Fatal("following() closed with no run")
	}
	// A feed of the stopped run comes up late: not recorded.
	m.update(rctx, true, func() bool { return true })
	if closed(m.following()) {
		t.Fatal("a stopped run's feed marked the feeds as following")
	}

	// Wanted again: a new run.
	m.use()
	<-runCtxs
	if runs.Load() != 2 || !closed(m.following()) {
		t.Fatalf("runs %d after a queue read", runs.Load())
	}
	cancel()
	<-served
}
