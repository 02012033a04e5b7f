package webhooks

import (
	"context"
	"sync"
)

// sharedRead shares one read among the callers that want it at once. The
// fan-out asks for the subscriptions bucket's last revision for every
// event it handles (so that a subscription made a moment ago on another
// replica is never missed), and handles many events side by side: one
// stream-info round trip each was paid for nothing but a number all of
// them could share.
//
// A caller never gets a value read before it called: one that arrives
// while a read is in flight waits for the next read, which starts once
// that one is done and answers everyone who arrived meanwhile. At most
// one read is in flight.
type sharedRead struct {
	mu      sync.Mutex
	next    *readCall // the read callers join; not started yet
	running bool      // a goroutine is reading (and will read next)
}

type readCall struct {
	done   chan struct{}
	v      uint64
	err    error
	joined int // callers sharing this read
}

// do returns a value read after do was called.
func (g *sharedRead) do(ctx context.Context, read func(context.Context) (uint64, error)) (uint64, error) {
	g.mu.Lock()
	c := g.next
	if c == nil {
		c = &readCall{done: make(chan struct{})}
		g.next = c
	}
	c.joined++
	if !g.running {
		g.running = true
		// Not cancelled with this caller: others may be sharing the read.
		go g.run(context.WithoutCancel(ctx), read)
	}
	g.mu.Unlock()
	select {
	case <-c.done:
		return c.v, c.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run reads for the waiting callers until none are left.
func (g *sharedRead) run(ctx context.Context, read func(context.Context) (uint64, error)) {
	for {
		g.mu.Lock()
		c := g.next
		g.next = nil
		if c == nil {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		c.v, c.err = read(ctx)
		close(c.done)
	}
}
