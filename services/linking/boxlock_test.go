package linking

import (
	"testing"
	"time"

	"newsroom.dev/platform/testutil"
)

// TestBoxLocks: a box's refreshes take turns, other boxes' do not wait,
// and a box nobody holds or waits for leaves no entry behind.
func TestBoxLocks(t *testing.T) {
	var l boxLocks
	unlockA := l.lock("a")
	unlockB := l.lock("b") // another box: not held up by a
	got, done := make(chan struct{}), make(chan struct{})
	go func() {
		unlock := l.lock("a")
		close(got)
		unlock()
		close(done)
	}()
	testutil.Eventually(t, 30*time.Second, "the second refresh of a to wait", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.m["a"].users == 2
	})
	select {
	case <-got:
		t.Fatal("a second refresh of a got in while the first held it")
	default:
	}
	unlockA()
	<-got
	<-done
	unlockB()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) != 0 {
		t.Fatalf("entries left: %v", l.m)
	}
}
