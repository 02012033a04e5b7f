package webhooks

import (
	"context"
	"sync"
	"testing"
	"time"

	"newsroom.dev/platform/testutil"
)

// TestSharedReadNeverServesAnEarlierRead: callers arriving while a read is
// in flight share the next read, not that one, so each gets a value read
// after it called; and they share it, one read for all of them.
func TestSharedReadNeverServesAnEarlierRead(t *testing.T) {
	ctx := context.Background()
	var g sharedRead
	var (
		mu    sync.Mutex
		reads uint64
	)
	started, release := make(chan uint64), make(chan struct{})
	read := func(context.Context) (uint64, error) {
		mu.Lock()
		reads++
		n := reads
		mu.Unlock()
		started <- n
		<-release
		return n, nil
	}
	first := make(chan uint64)
	go func() {
		v, _ := g.do(ctx, read)
		first <- v
	}()
	if n := <-started; n != 1 {
		t.Fatalf("first read is number %d", n)
	}
	// Read 1 is in flight: these callers come after it began.
	const late = 10
	got := make(chan uint64, late)
	for range late {
		go func() {
			v, _ := g.do(ctx, read)
			got <- v
		}()
	}
	testutil.Eventually(t, 30*time.Second, "the late callers to join the next read", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.next != nil && g.next.joined == late
	})
	release <- struct{}{}
	if v := <-first; v != 1 {
		t.Fatalf("first caller got read %d, want 1", v)
	}
	if n := <-started; n != 2 {
		t.Fatalf("second read is number %d", n)
	}
	release <- struct{}{}
	for range late {
		if v := <-got; v != 2 {
			t.Fatalf("a caller that came during read 1 got read %d, want 2", v)
		}
	}
	if reads != 2 {
		t.Fatalf("%d reads for %d callers, want 2", reads, late+1)
	}
	// Nobody waiting: the next caller starts a read of its own.
	go func() { <-started; release <- struct{}{} }()
	if v, _ := g.do(ctx, read); v != 3 {
		t.Fatalf("a caller after both got read %d, want 3", v)
	}
}
