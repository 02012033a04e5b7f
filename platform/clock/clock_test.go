package clock_test

import (
	"sync"
	"testing"
	"time"

	"newsroom.dev/platform/clock"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func fired(ch <-chan time.Time) (time.Time, bool) {
	select {
	case t := <-ch:
		return t, true
	default:
		return time.Time{}, false
	}
}

func TestFakeNowMovesOnlyWhenTold(t *testing.T) {
	f := clock.NewFake(t0)
	if !f.Now().Equal(t0) {
		t.Fatalf("Now = %v", f.Now())
	}
	time.Sleep(2 * time.Millisecond)
	if !f.Now().Equal(t0) {
		t.Error("the fake clock moved by itself")
	}
	f.Advance(90 * time.Second)
	if want := t0.Add(90 * time.Second); !f.Now().Equal(want) {
		t.Errorf("after Advance: %v, want %v", f.Now(), want)
	}
	f.Set(t0)
	if !f.Now().Equal(t0) {
		t.Errorf("after Set: %v", f.Now())
	}
}

func TestFakeAfter(t *testing.T) {
	f := clock.NewFake(t0)
	a := f.After(time.Minute)
	b := f.After(time.Hour)
	if _, ok := fired(f.After(0)); !ok {
		t.Error("After(0) did not fire at once")
	}
	if _, ok := fired(f.After(-time.Second)); !ok {
		t.Error("After(<0) did not fire at once")
	}
	f.Advance(59 * time.Second)
	if _, ok := fired(a); ok {
		t.Fatal("a one-minute timer fired after 59s")
	}
	f.Advance(time.Second)
	if got, ok := fired(a); !ok || !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("one-minute timer: fired %v at %v", ok, got)
	}
	if _, ok := fired(b); ok {
		t.Error("the one-hour timer fired after a minute")
	}
	// Moving back fires nothing; jumping past fires with the new time.
	f.Set(t0)
	if _, ok := fired(b); ok {
		t.Error("moving back fired a timer")
	}
	f.Set(t0.Add(3 * time.Hour))
	if got, ok := fired(b); !ok || !got.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("one-hour timer: fired %v at %v", ok, got)
	}
	// A timer fires once.
	f.Advance(time.Hour)
	if _, ok := fired(a); ok {
		t.Error("a timer fired twice")
	}
}

// Timers and the clock may be used from many goroutines (run with -race).
func TestFakeConcurrent(t *testing.T) {
	f := clock.NewFake(t0)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			<-f.After(time.Duration(i+1) * time.Second)
		})
	}
	for range 40 {
		f.Advance(time.Second)
		_ = f.Now()
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	// Timers registered after the clock passed 20s fire once it moves on.
	deadline := time.After(5 * time.Second)
	for {
		select {
		case <-done:
			return
		case <-deadline:
			t.Fatal("not every timer fired")
		default:
			f.Advance(time.Minute)
			time.Sleep(time.Millisecond)
		}
	}
}

func TestReal(t *testing.T) {
	var c clock.Clock = clock.Real{}
	before := time.Now()
	now := c.Now()
	if now.Before(before) || now.Sub(before) > time.Second {
		t.Errorf("Real.Now = %v, wall clock %v", now, before)
	}
	select {
	case <-c.After(time.Millisecond):
	case <-time.After(5 * time.Second):
		t.Error("Real.After did not fire")
	}
}
